import Database from 'better-sqlite3'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ARRIVAL_BATCH_MAX, ARRIVALS_MAX } from '../../src/broker/sqlite/arrivals.js'
import { APPLICATION_ID, MIGRATIONS } from '../../src/broker/sqlite/migrations.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { NewJob } from '../../src/broker/types.js'
import { freshSqliteBroker, runNodeScript } from '../helpers/sqlite.js'
import { REPO_ROOT } from '../helpers/tq.js'

// A job enqueued on its own, or with a few others, is left out of the id and ready indexes until
// the next claim or lookup (arrivals.ts). These check that nothing reading jobs misses it meanwhile.
const db = freshSqliteBroker('lone-enqueue')
const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '1', priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })
const claim = async (limit = 100) => (await db.broker.claim({ workerId: 'w', queues: ['q'], limit, leaseMs: 60_000 })).jobs
const queued = async () => (await db.broker.counts()).find((q) => q.queue === 'q')?.counts.queued ?? 0
/** One number read from the file with SQL of our own. */
function readFile(sql: string): number {
  const raw = new Database(db.file, { readonly: true })
  const n = raw.prepare(sql).pluck().get() as number
  raw.close()
  return n
}
/** Rows still out of the ready index. */
const unindexed = () => readFile('SELECT count(*) FROM jobs WHERE indexed = 0')

describe('jobs enqueued one at a time', () => {
  it('are counted, listed and claimed with the batched ones, in priority and then arrival order', async () => {
    const [a] = await db.broker.enqueue([job()])
    // A few together arrive the same way; a bigger batch is entered at once.
    const small = await db.broker.enqueue(Array.from({ length: 5 }, () => job()))
    const big = await db.broker.enqueue(Array.from({ length: ARRIVAL_BATCH_MAX + 1 }, () => job()))
    const [b] = await db.broker.enqueue([job()])
    const [urgent] = await db.broker.enqueue([job({ priority: 5 })])
    expect(unindexed()).toBe(8)
    const ids = (rs: { id: string }[]) => rs.map((r) => r.id)
    expect(await queued()).toBe(ARRIVAL_BATCH_MAX + 9)
    const listed = ids(await db.broker.listJobs({ state: 'queued', limit: 1000 }))
    expect(listed).toEqual([urgent!.id, b!.id, ...ids(big).reverse(), ...ids(small).reverse(), a!.id])
    expect(ids(await db.broker.listJobs({ state: 'queued', limit: 2, offset: 1 }))).toEqual([b!.id, big.at(-1)!.id])
    expect(ids(await claim(3))).toEqual([urgent!.id, a!.id, small[0]!.id])
    expect(unindexed()).toBe(0)
    expect(ids(await claim(1000))).toEqual([...ids(small).slice(1), ...ids(big), b!.id])
  })

  it('are entered by the producer itself once ARRIVALS_MAX wait above the mark (no worker claiming)', async () => {
    await db.broker.enqueue([job()])
    // A row far above the mark, as a long run of enqueues with no claim would leave.
    const raw = new Database(db.file)
    raw.prepare(`INSERT INTO jobs (seq, lone_id, task, queue, state, payload, created_at, run_at, indexed) VALUES (?, 'far', 't', 'q', 'queued', '1', 0, 0, 0)`).run(ARRIVALS_MAX + 10)
    raw.close()
    expect(unindexed()).toBe(2)
    const [c] = await db.broker.enqueue([job()])
    expect(unindexed()).toBe(0)
    expect(readFile(`SELECT indexed FROM jobs WHERE id = '${c!.id}'`)).toBe(1)
    expect(await queued()).toBe(3)
  })

  it('are cancelled and retried before any claim entered them, and then claimed', async () => {
    const [a] = await db.broker.enqueue([job()])
    expect((await db.broker.cancel([a!.id])).cancelled).toEqual([a!.id])
    expect(await queued()).toBe(0)
    expect(await db.broker.retry([a!.id])).toEqual([a!.id])
    expect(await queued()).toBe(1)
    expect((await claim()).map((j) => j.id)).toEqual([a!.id])
  })

  it('write the table alone, and are found by id, by a fragment of it and by parent before any claim', async () => {
    const [a] = await db.broker.enqueue([job({ parentId: 'p-1' })])
    // Out of the id index too (migration 7): its id waits in lone_id.
    expect(readFile('SELECT count(*) FROM jobs WHERE id IS NULL AND lone_id IS NOT NULL')).toBe(1)
    expect(await db.broker.findJobIds(a!.id.slice(-8), 10)).toEqual([a!.id])
    expect((await db.broker.getJob(a!.id))?.state).toBe('queued')
    const [b] = await db.broker.enqueue([job({ parentId: 'p-1' })])
    expect(await db.broker.findJobIds(b!.id.slice(0, 30), 10)).toContain(b!.id)
    const [c] = await db.broker.enqueue([job({ parentId: 'p-1' })])
    expect((await db.broker.children('p-1')).map((j) => j.id)).toEqual([a!.id, b!.id, c!.id])
    expect((await claim()).map((j) => j.id)).toEqual([a!.id, b!.id, c!.id])
    expect(readFile('SELECT count(*) FROM jobs WHERE id IS NULL OR lone_id IS NOT NULL')).toBe(0)
  })

  it('are read without being entered: listings, children, counts and lookups show their ids and write nothing', async () => {
    const [a] = await db.broker.enqueue([job({ parentId: 'p-2' })])
    const [later] = await db.broker.enqueue([job({ parentId: 'p-2', runAt: Date.now() + 60_000 })])
    const ids = (js: { id: string }[]) => js.map((j) => j.id)
    expect(ids(await db.broker.listJobs({ limit: 10 }))).toEqual([later!.id, a!.id])
    expect(ids(await db.broker.listJobs({ state: 'scheduled', limit: 10 }))).toEqual([later!.id])
    expect(ids(await db.broker.listJobs({ queue: 'q', limit: 10 }))).toEqual([later!.id, a!.id])
    expect(ids(await db.broker.children('p-2'))).toEqual([a!.id, later!.id])
    expect((await db.broker.getJob(later!.id))?.id).toBe(later!.id)
    expect(await db.broker.findJobIds(a!.id.slice(-6), 10)).toEqual([a!.id])
    expect(await queued()).toBe(1)
    expect(unindexed()).toBe(2)
  })

  it('a row a pre-schema-7 process inserted on its own keeps its id when entered; its claim pass cannot enter an arrival without one', async () => {
    const [a] = await db.broker.enqueue([job()])
    const raw = new Database(db.file)
    // Schema 6's lone insert: the id in id, out of the ready index.
    raw.prepare(`INSERT INTO jobs (id, task, queue, state, payload, created_at, run_at, indexed) VALUES ('old-1', 't', 'q', 'queued', '1', 0, 0, 0)`).run()
    // Schema 6's claim pass sets indexed = 1 alone: refused while an arrival has no id yet.
    expect(() => raw.prepare('UPDATE jobs SET indexed = 1 WHERE indexed = 0').run()).toThrow(/CHECK constraint/)
    raw.close()
    expect((await claim()).map((j) => j.id)).toEqual(['old-1', a!.id])
  })

  it('an arrival whose id another job already has is entered under an id of its own, and the queue goes on', async () => {
    const [a] = await db.broker.enqueue([job({ payload: '"first"' })])
    await claim()
    const raw = new Database(db.file)
    raw.prepare(`INSERT INTO jobs (lone_id, task, queue, state, payload, created_at, run_at, indexed) VALUES (?, 't', 'q', 'queued', '"clash"', 0, 0, 0)`).run(a!.id)
    raw.close()
    const [b] = await db.broker.enqueue([job()])
    const claimed = await claim()
    expect(claimed.map((j) => j.payload)).toEqual(['"clash"', '1'])
    expect(claimed[0]!.id).toMatch(new RegExp(`^${a!.id}-\\d+$`))
    expect(claimed[1]!.id).toBe(b!.id)
    expect((await db.broker.getJob(a!.id))?.payload).toBe('first')
  })

  it('with an id of their own go straight into the id index, so a second one with that id is refused', async () => {
    expect(await db.broker.enqueue([job({ id: 'mine' })])).toEqual([{ id: 'mine', created: true }])
    expect(readFile(`SELECT count(*) FROM jobs WHERE id = 'mine'`)).toBe(1)
    expect(await db.broker.enqueue([job({ id: 'mine' })])).toEqual([{ id: 'mine', created: false }])
  })

  it('are still claimed after a purge or a prune removed the newest rows (the row ids come back)', async () => {
    await db.broker.enqueue([job()])
    await db.broker.enqueue([job()])
    expect(await claim()).toHaveLength(2)
    await db.broker.enqueue([job()])
    await db.broker.purge({ state: 'queued' })
    // The rows above now take row ids a claim has already passed.
    const [a] = await db.broker.enqueue([job()])
    expect((await claim()).map((j) => j.id)).toEqual([a!.id])
    const [b] = await db.broker.enqueue([job()])
    await db.broker.settle((await claim()).map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' as const })))
    await db.broker.prune({ finishedBefore: Date.now() + 1 })
    expect(await db.broker.getJob(b!.id)).toBeNull()
    const [c] = await db.broker.enqueue([job()])
    expect(await queued()).toBe(1)
    expect((await claim()).map((j) => j.id)).toEqual([c!.id])
  })
})

/** Replaces the test's database with a file of an older schema version, open for filling. */
async function fileAtVersion(version: number): Promise<Database.Database> {
  await db.broker.close()
  rmSync(db.file)
  const old = new Database(db.file)
  old.pragma('journal_mode = WAL')
  for (const m of MIGRATIONS.slice(0, version)) old.exec(m)
  old.pragma(`application_id = ${APPLICATION_ID}`)
  old.pragma(`user_version = ${version}`)
  return old
}

it('two processes opening a schema-5 file at the same moment both upgrade it safely, and its queued jobs are claimed', async () => {
  const old = await fileAtVersion(5)
  const insert = old.prepare(`INSERT INTO jobs (id, task, queue, state, payload, created_at, run_at) VALUES (?, 't', 'q', 'queued', '1', 0, 0)`)
  for (let i = 0; i < 100; i++) insert.run(`old-${String(i).padStart(3, '0')}`)
  old.close()
  const script = join(db.dir, 'open.mjs')
  const src = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'broker', 'sqlite', 'sqlite-broker.js')).href
  writeFileSync(
    script,
    `import { SqliteBroker } from ${JSON.stringify(src)}
const b = new SqliteBroker(${JSON.stringify(db.file)})
await b.enqueue([{ task: 't', queue: 'q', payload: '1', priority: 0, runAt: Date.now(), maxAttempts: 1 }])
await b.close()
`,
  )
  const runs = Array.from({ length: 2 }, () => runNodeScript(script))
  for (const r of await Promise.all(runs)) expect(r).toEqual({ code: 0, stderr: '' })
  db.broker = new SqliteBroker(db.file)
  expect(await queued()).toBe(102)
  const claimed = await claim(200)
  expect(claimed).toHaveLength(102)
  expect(claimed.slice(0, 100).map((j) => j.id)).toEqual(Array.from({ length: 100 }, (_, i) => `old-${String(i).padStart(3, '0')}`))
})

it('a schema-6 file is rebuilt without the inline id index; its jobs, entered or not, keep their ids and order', async () => {
  const old = await fileAtVersion(6)
  const insert = old.prepare(`INSERT INTO jobs (id, task, queue, state, payload, created_at, run_at, indexed) VALUES (?, 't', 'q', 'queued', '1', 0, 0, ?)`)
  // Ten entered by a claim's pass, then five a lone enqueue of schema 6 left for the next claim.
  for (let i = 0; i < 15; i++) insert.run(`old-${i}`, i < 10 ? 1 : 0)
  old.prepare('UPDATE index_mark SET seq = 10').run()
  old.close()
  db.broker = new SqliteBroker(db.file)
  expect(readFile(`SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_autoindex_jobs_1'`)).toBe(0)
  expect(readFile(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`)).toBe(10)
  expect(readFile('SELECT count(*) FROM jobs WHERE indexed = 0 OR id IS NULL')).toBe(0)
  expect((await db.broker.getJob('old-12'))?.state).toBe('queued')
  const [fresh] = await db.broker.enqueue([job()])
  expect((await claim()).map((j) => j.id)).toEqual([...Array.from({ length: 15 }, (_, i) => `old-${i}`), fresh!.id])
})
