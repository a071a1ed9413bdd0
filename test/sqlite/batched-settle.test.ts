import Database from 'better-sqlite3'
import { expect, it } from 'vitest'
import type { NewJob, Outcome } from '../../src/broker/types.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

// Successes are written many per statement (claim-settle.ts, succeedAll); a lease found lost in
// such a batch sends the whole settle back to one statement a job. These check that a batch
// accepts and refuses exactly what one-by-one settles would, and that claims hand out the
// attempt and token they wrote.

const db = freshSqliteBroker('batched-settle')

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 3, ...over })

function rows(): Map<string, { state: string; result: string | null; result_expires_at: number | null; token: number; attempt: number }> {
  const raw = new Database(db.file, { readonly: true })
  try {
    const all = raw.prepare('SELECT id, state, result, result_expires_at, token, attempt FROM jobs').all() as { id: string; state: string; result: string | null; result_expires_at: number | null; token: number; attempt: number }[]
    return new Map(all.map((r) => [r.id, r]))
  } finally {
    raw.close()
  }
}

async function succeededCount(): Promise<number> {
  return (await db.broker.counts()).find((q) => q.queue === 'q')?.counts.succeeded ?? 0
}

it('a claim hands out the attempt and token it stored, in priority order', async () => {
  const now = Date.now()
  await db.broker.enqueue([job({ priority: 1 }), job({ priority: 5 }), job({ priority: 1, runAt: now - 10 }), job()])
  const { jobs } = await db.broker.claim({ workerId: 'w', queues: ['q'], limit: 10, leaseMs: 60_000 })
  expect(jobs.map((j) => j.priority)).toEqual([5, 1, 1, 0])
  expect(jobs[1]!.runAt).toBeLessThan(jobs[2]!.runAt)
  const stored = rows()
  for (const j of jobs) {
    expect(j.attempt).toBe(1)
    expect(j.token).toBe(stored.get(j.id)!.token)
    expect(stored.get(j.id)!.attempt).toBe(1)
  }
  await db.broker.settle(jobs.map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' })))
})

it('a batch of successes writes results and their lifetimes, and counts each once', async () => {
  const before = await succeededCount()
  await db.broker.enqueue(Array.from({ length: 60 }, () => job()))
  const { jobs } = await db.broker.claim({ workerId: 'w', queues: ['q'], limit: 60, leaseMs: 60_000 })
  expect(jobs).toHaveLength(60)
  const expiresAt = Date.now() + 3_600_000
  const outcomes: Outcome[] = jobs.map((j, i) => ({ id: j.id, token: j.token, kind: 'succeeded', result: i % 2 ? JSON.stringify({ i }) : undefined, resultExpiresAt: i % 3 ? undefined : expiresAt }))
  expect(await db.broker.settle(outcomes)).toEqual(jobs.map(() => true))
  const stored = rows()
  jobs.forEach((j, i) => {
    const r = stored.get(j.id)!
    expect(r.state).toBe('succeeded')
    expect(r.result).toBe(i % 2 ? JSON.stringify({ i }) : null)
    expect(r.result_expires_at).toBe(i % 3 ? null : expiresAt)
  })
  expect(await succeededCount()).toBe(before + 60)
})

it('a batch with a stale lease, a repeated job and an unknown id accepts only the current holders', async () => {
  const before = await succeededCount()
  await db.broker.enqueue(Array.from({ length: 30 }, () => job()))
  const { jobs } = await db.broker.claim({ workerId: 'w', queues: ['q'], limit: 30, leaseMs: 60_000 })
  const [stale, other, ...rest] = jobs
  const outcomes: Outcome[] = [
    { id: stale!.id, token: stale!.token - 1, kind: 'succeeded', result: '"old"' }, // an earlier lease's token
    ...rest.map((j): Outcome => ({ id: j.id, token: j.token, kind: 'succeeded', result: '"new"' })),
    { id: rest[0]!.id, token: rest[0]!.token, kind: 'succeeded', result: '"twice"' }, // the same job again
    { id: 'no-such-job', token: 1, kind: 'succeeded' },
    { id: other!.id, token: other!.token, kind: 'failed', error: { message: 'boom' } },
  ]
  const accepted = await db.broker.settle(outcomes)
  expect(accepted).toEqual([false, ...rest.map(() => true), false, false, true])
  const stored = rows()
  expect(stored.get(stale!.id)!.state).toBe('active')
  expect(stored.get(other!.id)!.state).toBe('failed')
  for (const j of rest) expect(stored.get(j.id)).toMatchObject({ state: 'succeeded', result: '"new"' })
  expect(await succeededCount()).toBe(before + rest.length)
  // The current holder of the stale one can still complete it.
  expect(await db.broker.settle([{ id: stale!.id, token: stale!.token, kind: 'succeeded' }])).toEqual([true])
})
