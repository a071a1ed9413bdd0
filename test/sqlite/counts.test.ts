import Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { expect, it, vi } from 'vitest'
import { APPLICATION_ID, MIGRATIONS } from '../../src/broker/sqlite/migrations.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { NewJob } from '../../src/broker/types.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('counts')

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '1', priority: 0, runAt: Date.now(), maxAttempts: 2, ...over })

/** What counting every row gives: the kept counts must always equal it. */
function recount(): Record<string, Record<string, number>> {
  const raw = new Database(db.file, { readonly: true })
  const out: Record<string, Record<string, number>> = {}
  for (const r of raw.prepare('SELECT queue, state, count(*) AS n FROM jobs GROUP BY queue, state').all() as { queue: string; state: string; n: number }[]) {
    ;(out[r.queue] ??= {})[r.state] = r.n
  }
  raw.close()
  return out
}

async function kept(): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {}
  for (const q of await db.broker.counts()) {
    for (const [state, n] of Object.entries(q.counts)) if (n) (out[q.queue] ??= {})[state] = n
  }
  return out
}

it('keeps per-queue state counts equal to a recount through every kind of change', async () => {
  await db.broker.enqueue([job(), job(), job({ queue: 'b' }), job({ runAt: Date.now() - 5 }), job({ runAt: Date.now() + 60_000 }), job({ key: 'k' }), job({ key: 'k' })])
  await db.broker.enqueue([job({ expiresAt: Date.now() - 1 })])
  expect(await kept()).toEqual(recount())
  const claimed = (await db.broker.claim({ workerId: 'w', queues: ['q', 'b'], limit: 10, leaseMs: 50 })).jobs
  expect(await kept()).toEqual(recount())
  const [a, b, c, d, e] = claimed
  await db.broker.settle([
    { id: a!.id, token: a!.token, kind: 'succeeded', result: '1' },
    { id: b!.id, token: b!.token, kind: 'failed', error: { message: 'x' }, retryAt: Date.now() - 1 },
    { id: c!.id, token: c!.token, kind: 'failed', error: { message: 'y' } },
    { id: d!.id, token: d!.token, kind: 'released', runAt: Date.now() + 60_000 },
    { id: a!.id, token: a!.token, kind: 'succeeded', result: '2' }, // stale: must not count twice
  ])
  expect(await kept()).toEqual(recount())
  await db.broker.cancel([e!.id, ...(await db.broker.listJobs({ state: 'scheduled' })).map((j) => j.id)])
  await db.broker.retry([c!.id])
  expect(await kept()).toEqual(recount())
  // Lapsed leases return to the queue.
  await vi.waitFor(async () => expect(await db.broker.recoverExpired()).toBeGreaterThan(0), { timeout: 30_000, interval: 20 })
  expect(await kept()).toEqual(recount())
  await db.broker.purge({ state: 'cancelled' })
  await db.broker.prune({ finishedBefore: Date.now() + 1, failedBefore: Date.now() + 1 })
  expect(await kept()).toEqual(recount())
})

/**
 * A file as an older tq left it: the schema up to `version`, with jobs in every state written
 * before the migrations that came later (so migration 2 has rows to count).
 */
function writeOldDatabase(file: string, version: number): void {
  const old = new Database(file)
  old.pragma('journal_mode = WAL')
  old.exec(MIGRATIONS[0]!)
  const insert = old.prepare(`INSERT INTO jobs (id, task, queue, state, payload, created_at, run_at, finished_at, lease_until)
                             VALUES (?, 't', ?, ?, '1', 0, ?, ?, ?)`)
  const rows: [string, string, number, number | null, number | null][] = [
    ['q', 'queued', 0, null, null],
    ['q', 'queued', 0, null, null],
    ['b', 'scheduled', Date.now() + 60_000, null, null],
    ['q', 'active', 0, null, Date.now() + 60_000],
    ['q', 'succeeded', 0, 5, null],
    ['b', 'failed', 0, 6, null],
    ['b', 'cancelled', 0, 7, null],
  ]
  rows.forEach(([queue, state, runAt, finishedAt, leaseUntil], i) => insert.run(`job-${i}`, queue, state, runAt, finishedAt, leaseUntil))
  for (let v = 1; v < version; v++) old.exec(MIGRATIONS[v]!)
  old.pragma(`application_id = ${APPLICATION_ID}`)
  old.pragma(`user_version = ${version}`)
  old.close()
}

it.each(Array.from({ length: MIGRATIONS.length - 1 }, (_, i) => i + 1))('migrates a database at schema version %i and counts it right', async (version) => {
  await db.broker.close()
  rmSync(db.file)
  writeOldDatabase(db.file, version)
  db.broker = new SqliteBroker(db.file)
  expect(await kept()).toEqual({ q: { queued: 2, active: 1, succeeded: 1 }, b: { scheduled: 1, failed: 1, cancelled: 1 } })
  expect(await kept()).toEqual(recount())
  // And it keeps working: the old jobs are claimed and settled like new ones.
  const claimed = (await db.broker.claim({ workerId: 'w', queues: ['q'], limit: 10, leaseMs: 60_000 })).jobs
  expect(claimed.map((j) => j.id).sort()).toEqual(['job-0', 'job-1'])
  await db.broker.settle(claimed.map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' as const, result: '1' })))
  expect(await kept()).toEqual(recount())
  expect((await db.broker.listJobs({ state: 'succeeded' })).map((j) => j.id).sort()).toEqual(['job-0', 'job-1', 'job-4'])
})
