/**
 * Live updates cost the broker the same however many pages are open: the server's one loop reads
 * the overview once per change (coalescing bursts) and fans it out. A real SQLite broker, with a
 * Proxy counting its counts() calls (one per overview read), behind the real server; five event
 * streams open while a second connection enqueues jobs one by one.
 */
import { request, type ClientRequest } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker } from '../../src/broker/types.js'
import { startUiServer, type UiServer } from '../../src/ui/server.js'
import { cleanupTemp, makeTempDir } from '../helpers/tq.js'

const closers: (() => Promise<unknown> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  cleanupTemp()
})

/** An open event stream, counting its overview events and keeping the last one's queue counts. */
function stream(server: UiServer): { events: () => number; queued: () => number; req: ClientRequest } {
  let events = 0
  let queued = -1
  let buffer = ''
  const req = request(`${server.url}api/events`, (res) => {
    res.setEncoding('utf8')
    res.on('data', (d: string) => {
      buffer += d
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const data = /^event: overview\ndata: (.*)$/s.exec(frame)?.[1]
        if (!data) continue
        events++
        const q = (JSON.parse(data) as { queues: { queue: string; counts: { queued: number } }[] }).queues.find((x) => x.queue === 'default')
        queued = q?.counts.queued ?? 0
      }
    })
  })
  req.on('error', () => undefined)
  req.end()
  return { events: () => events, queued: () => queued, req }
}

describe('the live feed', () => {
  it('reads the broker once per update for all open pages, and every page sees the last change', async () => {
    const dir = makeTempDir('tq-ui-feed-')
    const broker = await openBroker('sqlite://tq.db', dir)
    const writer = await openBroker('sqlite://tq.db', dir)
    closers.push(() => broker.close(), () => writer.close())
    let reads = 0
    const counting = new Proxy(broker, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          if (prop === 'counts') reads++
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    }) as Broker
    const server = await startUiServer({ broker: counting, port: 0 })
    closers.push(() => server.close())
    const pages = Array.from({ length: 5 }, () => stream(server))
    closers.push(() => pages.forEach((p) => p.req.destroy()))
    await vi.waitFor(() => expect(pages.every((p) => p.events() > 0)).toBe(true), { timeout: 30_000, interval: 20 })

    const before = reads
    const eventsBefore = pages.map((p) => p.events())
    for (let i = 0; i < 40; i++) await writer.enqueue([{ task: 't', queue: 'default', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 }])
    // Every page ends up showing all 40 jobs, without asking.
    await vi.waitFor(() => expect(pages.map((p) => p.queued())).toEqual([40, 40, 40, 40, 40]), { timeout: 30_000, interval: 20 })

    const updates = Math.max(...pages.map((p, i) => p.events() - eventsBefore[i]!))
    // One read per update, shared by the five pages (a reader per page would make it five).
    expect(reads - before).toBeLessThanOrEqual(updates + 1)
    expect(updates).toBeGreaterThan(0)
  })
})
