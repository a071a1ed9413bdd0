import Database from 'better-sqlite3'
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

it('runs of alike jobs go in one statement each and are stored exactly as given: payload text, state, parent, expiry, order', async () => {
  const now = Date.now()
  // Payload texts that JSON escaping must carry through unchanged: quotes, backslashes, an escaped
  // lone surrogate, non-ASCII, a bare string and number.
  const texts = ['{"q":"a\\"b"}', '"\\\\"', '"\\ud800"', '{"é":"日本"}', '"plain"', '12.50']
  const alike = (n: number, over: Partial<NewJob> = {}): NewJob => job(n, { runAt: now, parentId: 'p-9', expiresAt: now + 3_600_000, ...over, payload: n < texts.length ? texts[n]! : JSON.stringify({ n }) })
  // 1,200 alike (a full run of 1,000, then 200), a delayed run of 60, a different queue's run of 49
  // (under the minimum: 25-row statements), then one job with a key.
  const jobs = [
    ...Array.from({ length: 1200 }, (_, n) => alike(n)),
    ...Array.from({ length: 60 }, (_, n) => alike(1200 + n, { runAt: now + 60_000 })),
    ...Array.from({ length: 49 }, (_, n) => alike(1260 + n, { queue: 'other' })),
    alike(1309, { key: 'k-1' }),
  ]
  const results = await db.broker.enqueue(jobs)
  expect(results.every((r) => r.created)).toBe(true)
  expect(new Set(results.map((r) => r.id)).size).toBe(jobs.length)
  const stored = await Promise.all(results.map((r) => db.broker.getJob(r.id)))
  stored.forEach((j, n) => {
    expect(JSON.stringify(j!.payload)).toBe(JSON.stringify(JSON.parse(jobs[n]!.payload)))
    expect(j!.parentId).toBe('p-9')
    expect(j!.queue).toBe(n >= 1260 && n < 1309 ? 'other' : 'q')
    expect(j!.state).toBe(n >= 1200 && n < 1260 ? 'scheduled' : 'queued')
  })
  // The payload column holds the given text itself, byte for byte.
  const raw = new Database(db.file, { readonly: true })
  const first = raw.prepare('SELECT payload FROM jobs WHERE id = ?').pluck()
  for (let n = 0; n < texts.length; n++) expect(first.get(results[n]!.id)).toBe(texts[n])
  raw.close()
  const claimed = (await db.broker.claim({ workerId: 'w', queues: ['q'], limit: 2000, leaseMs: 60_000 })).jobs
  expect(claimed.map((c) => c.id)).toEqual([...results.slice(0, 1200), results[1309]!].map((r) => r.id))
})
