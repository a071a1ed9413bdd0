import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { NewJob } from '../../src/broker/types.js'

let dir: string
let broker: SqliteBroker
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tq-counts-'))
  broker = new SqliteBroker(join(dir, 'tq.db'))
})
afterEach(async () => {
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
})

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '1', priority: 0, runAt: Date.now(), maxAttempts: 2, ...over })

/** What counting every row gives: the kept counts must always equal it. */
function recount(): Record<string, Record<string, number>> {
  const db = new Database(join(dir, 'tq.db'), { readonly: true })
  const out: Record<string, Record<string, number>> = {}
  for (const r of db.prepare('SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state').all() as { queue: string; state: string; n: number }[]) {
    ;(out[r.queue] ??= {})[r.state] = r.n
  }
  db.close()
  return out
}

async function kept(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {}
  for (const q of await broker.counts()) {
    for (const [state, n] of Object.entries(q.counts)) if (n) (out[q.queue] ??= {})[state] = n
  }
  return out
}

it('keeps per-queue state counts equal to a recount through every kind of change', async () => {
  await broker.enqueue([job(), job(), job({ queue: 'b' }), job({ runAt: Date.now() - 5 }), job({ runAt: Date.now() + 60_000 }), job({ key: 'k' }), job({ key: 'k' })])
  await broker.enqueue([job({ expiresAt: Date.now() - 1 })])
  expect(await kept()).toEqual(recount())
  const claimed = await broker.claim({ workerId: 'w', queues: ['q', 'b'], limit: 10, leaseMs: 50 })
  expect(await kept()).toEqual(recount())
  const [a, b, c, d, e] = claimed
  await broker.settle([
    { id: a!.id, token: a!.token, kind: 'succeeded', result: '1' },
    { id: b!.id, token: b!.token, kind: 'failed', error: { message: 'x' }, retryAt: Date.now() - 1 },
    { id: c!.id, token: c!.token, kind: 'failed', error: { message: 'y' } },
    { id: d!.id, token: d!.token, kind: 'released', runAt: Date.now() + 60_000 },
    { id: a!.id, token: a!.token, kind: 'succeeded', result: '2' }, // stale: must not count twice
  ])
  expect(await kept()).toEqual(recount())
  await broker.cancel([e!.id, ...(await broker.listJobs({ state: 'scheduled' })).map((j) => j.id)])
  await broker.retry([c!.id])
  expect(await kept()).toEqual(recount())
  // Lapsed leases return to the queue.
  const deadline = Date.now() + 3000
  while ((await broker.recoverExpired()) === 0 && Date.now() < deadline) await broker.waitForChange(20)
  expect(await kept()).toEqual(recount())
  await broker.purge({ state: 'cancelled' })
  await broker.prune({ finishedBefore: Date.now() + 1, failedBefore: Date.now() + 1 })
  expect(await kept()).toEqual(recount())
})

it('counts a database written before the counts existed (migration 2 recounts)', async () => {
  await broker.enqueue([job(), job({ queue: 'b' })])
  await broker.close()
  const db = new Database(join(dir, 'tq.db'))
  db.exec(`DROP TABLE queue_counts; PRAGMA user_version = 1`)
  db.close()
  broker = new SqliteBroker(join(dir, 'tq.db'))
  expect(await kept()).toEqual({ q: { queued: 1 }, b: { queued: 1 } })
})
