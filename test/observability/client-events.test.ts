/**
 * A producer's `enqueued` events are built only while someone listens: a client that found
 * nobody listening stops building them, and asks again now and then, so a listener that comes
 * later still gets its enqueues. In process, on a real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it, vi } from 'vitest'
import { Client } from '../../src/app/client.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { TqEvent } from '../../src/broker/types.js'

const dir = mkdtempSync(join(tmpdir(), 'tq-client-events-'))
const stop = new AbortController()
afterEach(() => {
  stop.abort()
  rmSync(dir, { recursive: true, force: true })
})

it('a listener that subscribes after the client found nobody listening gets its later enqueues', async () => {
  const broker = new SqliteBroker(join(dir, 'tq.db'))
  const client = new Client(broker)
  try {
    // Nobody listens: these are announced to no one, and the client learns it.
    for (let i = 0; i < 20; i++) await client.enqueue('ping', { i })
    const seen: TqEvent[] = []
    const listener = new SqliteBroker(join(dir, 'tq.db'))
    await listener.subscribeEvents((evs) => seen.push(...evs), stop.signal)
    const ids: string[] = []
    // Each poll enqueues one more job: once the client has asked again, its enqueues reach the listener.
    await vi.waitFor(
      async () => {
        ids.push((await client.enqueue('ping', { late: true })).id)
        expect(seen.some((e) => e.type === 'enqueued' && ids.includes(e.id!))).toBe(true)
      },
      { timeout: 30_000, interval: 50 },
    )
    expect(seen.filter((e) => e.type === 'enqueued').every((e) => e.task === 'ping' && e.queue === 'default')).toBe(true)
    await listener.close()
  } finally {
    await client.close()
  }
})

it('a producer whose enqueues never wait for I/O still learns that nobody listens, and stops building events', async () => {
  // SQLite answers within the microtask queue: a loop of enqueues never reaches a timer.
  let published = 0
  class Counting extends SqliteBroker {
    override publishEvents(events: readonly TqEvent[]): Promise<boolean> {
      published += events.length
      return super.publishEvents(events)
    }
  }
  const client = new Client(new Counting(join(dir, 'tq.db')))
  for (let i = 0; i < 5000; i++) await client.enqueue('ping', { i })
  await client.close()
  // The first batch is sent while the loop runs and its answer stops the rest being built.
  expect(published).toBeGreaterThan(0)
  expect(published).toBeLessThan(1000)
})
