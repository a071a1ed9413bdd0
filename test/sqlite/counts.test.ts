import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { APPLICATION_ID, MIGRATIONS } from '../../src/broker/sqlite/migrations.js'
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

/**
 * A file as an older tq left it: the schema up to `version`, with jobs in every state written
 * before the migrations that came later (so migration 2 has rows to count).
 */
function writeOldDatabase(file: string, version: number): void {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.exec(MIGRATIONS[0]!)
  const insert = db.prepare(`INSERT INTO jobs (id, task, queue, state, payload, created_at, run_at, finished_at, lease_until)
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
  for (let v = 1; v < version; v++) db.exec(MIGRATIONS[v]!)
  db.pragma(`application_id = ${APPLICATION_ID}`)
  db.pragma(`user_version = ${version}`)
  db.close()
}

it.each(Array.from({ length: MIGRATIONS.length - 1 }, (_, i) => i + 1))('migrates a database at schema version %i and counts it right', async (version) => {
  await broker.close()
  rmSync(join(dir, 'tq.db'))
  writeOldDatabase(join(dir, 'tq.db'), version)
  broker = new SqliteBroker(join(dir, 'tq.db'))
  expect(await kept()).toEqual({ q: { queued: 2, active: 1, succeeded: 1 }, b: { scheduled: 1, failed: 1, cancelled: 1 } })
  expect(await kept()).toEqual(recount())
  // And it keeps working: the old jobs are claimed and settled like new ones.
  const claimed = await broker.claim({ workerId: 'w', queues: ['q'], limit: 10, leaseMs: 60_000 })
  expect(claimed.map((j) => j.id).sort()).toEqual(['job-0', 'job-1'])
  await broker.settle(claimed.map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' as const, result: '1' })))
  expect(await kept()).toEqual(recount())
  expect((await broker.listJobs({ state: 'succeeded' })).map((j) => j.id).sort()).toEqual(['job-0', 'job-1', 'job-4'])
})
