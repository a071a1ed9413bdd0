import { expect, it } from 'vitest'
import type { NewJob } from '../../src/broker/types.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('bulk')

const job = (n: number, over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: JSON.stringify({ n }), priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })

it('a bulk enqueue mixing plain jobs, unique keys and given ids reports each job right and keeps the order', async () => {
  const [held] = await db.broker.enqueue([job(-1, { key: 't:taken' })])
  // 80 jobs: runs of plain jobs (inserted 25 rows per statement) broken by a key already held,
  // a new key, a given id, and a delayed job; the tail is shorter than a statement.
  const jobs = Array.from({ length: 80 }, (_, n) =>
    n === 10 ? job(n, { key: 't:taken' }) : n === 40 ? job(n, { key: 't:fresh' }) : n === 41 ? job(n, { id: 'given-id' }) : n === 60 ? job(n, { runAt: Date.now() + 60_000 }) : job(n),
  )
  const results = await db.broker.enqueue(jobs)
  expect(results).toHaveLength(80)
  expect(results[10]).toEqual({ id: held!.id, created: false })
  expect(results[41]).toEqual({ id: 'given-id', created: true })
  expect(results.filter((r) => !r.created)).toHaveLength(1)
  expect(new Set(results.map((r) => r.id)).size).toBe(80)
  // Every created job is stored with its own payload, in the order given (newest listed first).
  const listed = await db.broker.listJobs({ limit: 200 })
  expect(listed).toHaveLength(80) // 79 new and the one that held the key
  const created = results.flatMap((r, n) => (r.created ? [[r.id, n] as const] : []))
  const byId = new Map(listed.map((j) => [j.id, j]))
  for (const [id, n] of created) expect(byId.get(id)!.payload).toEqual({ n })
  expect(listed.slice(0, 79).reverse().map((j) => (j.payload as { n: number }).n)).toEqual(created.map(([, n]) => n))
  expect(byId.get(results[60]!.id)!.state).toBe('scheduled')
  // Again with the same given id and key: nothing new.
  const again = await db.broker.enqueue([job(1, { id: 'given-id' }), job(2, { key: 't:fresh' })])
  expect(again).toEqual([{ id: 'given-id', created: false }, { id: results[40]!.id, created: false }])
})
