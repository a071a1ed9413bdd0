/**
 * The tq binary on the Postgres broker: the spine (init, batch enqueue, burst drain exactly once,
 * --wait, listings, errors) on postgres://, two of four workers killed with SIGKILL during 10,000
 * jobs, and Postgres restarted (fast shutdown, as pg_ctlcluster restart does) in the middle of a
 * drain with a producer running. Each test on the shared server (TQ_TEST_POSTGRES_URL) has its own
 * schema, dropped afterwards; the restart runs on a private server (test/postgres/server.ts), so
 * other tests using the shared one are not disturbed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { PostgresBroker } from '../../src/broker/postgres/postgres-broker.js'
import type { Broker, JobState } from '../../src/broker/types.js'
import {
  cleanupTemp,
  countStates,
  duplicates,
  ERROR_LINE,
  getJob,
  killAll,
  listJobs,
  makeProject,
  makeTempDir,
  readLines,
  REPO_ROOT,
  runTq,
  startTq,
  stderrLines,
  waitUntil,
  type TempProject,
  type TqProcess,
} from '../helpers/tq.js'
import { dropSchema, TEST_POSTGRES, uniqueSchema, urlWith } from '../postgres/helpers.js'
import { destroyPgServers, PgServer } from '../postgres/server.js'

const schemas: string[] = []
const brokers: Broker[] = []
const children = new Set<ChildProcess>()

/** A fresh schema on the shared test server, dropped after the test. */
function freshUrl(query: Record<string, string> = {}): string {
  const schema = uniqueSchema()
  schemas.push(schema)
  return urlWith({ schema, ...query })
}

async function open(url: string): Promise<Broker> {
  const b = await PostgresBroker.connect(url)
  brokers.push(b)
  return b
}

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
  await killAll()
  await Promise.all(brokers.splice(0).map((b) => b.close().catch(() => undefined)))
  await destroyPgServers()
  for (const s of schemas.splice(0)) await dropSchema(s)
})
afterAll(cleanupTemp)

async function counts(broker: Broker): Promise<Record<JobState, number>> {
  const total = { waiting: 0, scheduled: 0, queued: 0, active: 0, succeeded: 0, failed: 0, cancelled: 0, expired: 0 } as Record<JobState, number>
  for (const q of await broker.counts()) for (const [s, n] of Object.entries(q.counts)) total[s as JobState] += n
  return total
}

/** Enqueues one payload per line with `tq enqueue <task> --batch <file> --json`; returns the ids. */
async function enqueueMany(project: TempProject, task: string, payloads: unknown[], extra: string[] = []): Promise<string[]> {
  const file = project.path(`batch-${Date.now()}-${Math.random().toString(36).slice(2)}.ndjson`)
  writeFileSync(file, payloads.map((p) => JSON.stringify(p)).join('\n') + '\n')
  const r = await runTq(['enqueue', task, '--batch', file, '--json', ...extra], { cwd: project.dir, timeoutMs: 60_000 })
  expect(r.code, r.stderr).toBe(0)
  const { ids } = JSON.parse(r.stdout) as { ids: string[] }
  expect(ids).toHaveLength(payloads.length)
  return ids
}

/** The `tq worker --json` event lines printed so far (complete lines only). */
function events(w: TqProcess): { event: string; id: string }[] {
  return w.stdout
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; id: string })
}

/** A task that appends `<job id> <pid>` to a file for every run, then returns its payload's n. */
function recordingTask(out: string, delay = '1 + (p.n % 5)'): string {
  return `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const work = task('work', async (p: { n: number }, ctx) => {
  await new Promise((r) => setTimeout(r, ${delay}))
  appendFileSync(${JSON.stringify(out)}, ctx.id + ' ' + process.pid + '\\n')
  return p.n
})
`
}

describe('the spine on postgres://', () => {
  it('init, batch enqueue, a burst drain that runs each job once, --wait, listings and errors', async () => {
    // init: the scaffold, pointed at Postgres through TQ_BROKER_URL.
    const parent = makeTempDir()
    const init = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(init.code, init.stderr).toBe(0)
    const dir = join(parent, 'app')
    const url = freshUrl()
    const env = { TQ_BROKER_URL: url }
    const welcome = await runTq(['enqueue', 'email.welcome', '{"to":"a@b.c"}'], { cwd: dir, env })
    expect(welcome.code, welcome.stderr).toBe(0)

    const project = makeProject({ config: `{ broker: ${JSON.stringify(url)} }` })
    const out = project.path('ran.txt')
    project.write('tasks/work.ts', recordingTask(out, '0') + `export const boom = task('boom', async () => { throw new Error('kaput') })\n`)
    const N = 2000
    const ids = await enqueueMany(project, 'work', Array.from({ length: N }, (_, n) => ({ n })))
    expect(new Set(ids).size).toBe(N)
    const [failing] = await enqueueMany(project, 'boom', [{}])

    // Three burst workers drain together: every job runs exactly once.
    const bursts = await Promise.all([1, 2, 3].map(() => runTq(['worker', '--burst', '--quiet', '--concurrency', '20'], { cwd: project.dir, timeoutMs: 120_000 })))
    for (const b of bursts) expect(b.code, b.stderr).toBe(0)
    const ran = readLines(out).map((l) => l.split(' ')[0]!)
    expect(ran).toHaveLength(N)
    expect(duplicates(ran)).toEqual([])
    expect(new Set(ran)).toEqual(new Set(ids))

    // The scaffold's job is on the same schema (another project's worker does not know its task).
    const welcomeJob = await getJob(project.dir, welcome.stdout.trim())
    expect(welcomeJob).toMatchObject({ task: 'email.welcome', payload: { to: 'a@b.c' } })

    // Listings.
    const all = await listJobs(project.dir, ['--limit', String(N + 10)])
    expect(countStates(all)).toEqual({ succeeded: N, failed: 1, ...(welcomeJob.state === 'queued' ? { queued: 1 } : {}) })
    expect((await listJobs(project.dir, ['--state', 'failed'])).map((j) => j.id)).toEqual([failing])
    const one = await getJob(project.dir, ids[7]!)
    expect(one).toMatchObject({ id: ids[7], state: 'succeeded', result: 7, attempt: 1, error: null })
    const bad = await getJob(project.dir, failing!)
    expect(bad.error).toMatchObject({ message: 'kaput' })
    const human = await runTq(['job', ids[7]!.slice(-8)], { cwd: project.dir })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(ids[7])

    // --wait, with a worker running.
    const worker = startTq(['worker'], { cwd: project.dir })
    await worker.waitForOutput(/tq worker .* on postgres:\/\//, 30_000, 'stderr')
    const waited = await runTq(['enqueue', 'work', '{"n":21}', '--wait', '--timeout', '30s'], { cwd: project.dir })
    expect(waited.code, waited.stderr).toBe(0)
    expect(JSON.parse(waited.stdout)).toBe(21)
    worker.kill('SIGTERM')
    expect((await worker.waitExit(20_000)).code).toBe(0)

    // Errors: one line naming the problem and the fix, non-zero exit, no password.
    const cases = [
      [`postgres://tq:hunter2@127.0.0.1:1/tq_test?connectTimeout=1s`, /cannot reach Postgres at postgres:\/\/tq:\*\*\*@127\.0\.0\.1:1\/tq_test/],
      [urlWith({ schema: 'Not-Valid' }, TEST_POSTGRES.replace('postgres@', 'postgres:hunter2@')), /invalid schema "Not-Valid"/],
      [urlWith({ sslmode: 'sometimes' }, TEST_POSTGRES.replace('postgres@', 'postgres:hunter2@')), /unknown sslmode/],
    ] as const
    for (const [broker, why] of cases) {
      const r = await runTq(['enqueue', 'work', '{"n":1}', '--broker', broker], { cwd: project.dir })
      expect(r.code, broker).toBe(1)
      const lines = stderrLines(r)
      expect(lines, r.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(ERROR_LINE)
      expect(lines[0]).toMatch(why)
      expect(r.stdout + r.stderr).not.toContain('hunter2')
    }
    // A read-only command does not create a schema that is not there.
    const missing = await runTq(['jobs', '--broker', urlWith({ schema: uniqueSchema() })], { cwd: project.dir })
    expect(missing.code).toBe(1)
    expect(stderrLines(missing)[0]).toMatch(/no tq schema "tqtest_\w+" at postgres:\/\/.*\(start tq dev or tq worker first/)
  }, 180_000)
})

describe('kill -9 of two of four workers on Postgres', () => {
  it('10,000 jobs all succeed once each; only jobs running on the killed workers run twice', async () => {
    const N = 10_000
    const CONCURRENCY = 10
    const url = freshUrl()
    // 5 s leases: long enough that a survivor's renewal is never late on a busy machine (a lapsed
    // live lease would make a job run twice without a kill), short enough to finish soon.
    const project = makeProject({ config: `{ broker: ${JSON.stringify(url)}, worker: { lease: '5s' } }` })
    const out = project.path('ran.txt')
    project.write('tasks/work.ts', recordingTask(out))
    const ids = await enqueueMany(project, 'work', Array.from({ length: N }, (_, n) => ({ n })))
    const nOf = new Map(ids.map((id, n) => [id, n]))
    const broker = await open(url)

    const workers = Array.from({ length: 4 }, () => startTq(['worker', '--json', '--concurrency', String(CONCURRENCY)], { cwd: project.dir }))
    const [v1, v2, s1, s2] = workers as [TqProcess, TqProcess, TqProcess, TqProcess]
    await waitUntil(
      async () => v1.stdout.includes('"event":"started"') && v2.stdout.includes('"event":"started"') && readLines(out).length >= 1500,
      'both victims running jobs and 1,500 jobs done',
      60_000,
      50,
    )
    v1.kill('SIGKILL')
    v2.kill('SIGKILL')
    for (const v of [v1, v2]) expect((await v.waitExit(10_000)).signal).toBe('SIGKILL')
    expect(readLines(out).length).toBeLessThan(N)

    const inFlight = new Set<string>()
    const victimPids = new Set([String(v1.pid), String(v2.pid)])
    for (const v of [v1, v2]) {
      const open = new Set<string>()
      for (const e of events(v)) {
        if (e.event === 'started') open.add(e.id)
        else open.delete(e.id)
      }
      expect(open.size, `jobs started and not reported finished on a killed worker`).toBeLessThanOrEqual(2 * CONCURRENCY)
      for (const id of open) inFlight.add(id)
    }

    await waitUntil(async () => (await counts(broker)).succeeded === N, `all ${N} jobs succeeded`, 120_000, 250)
    for (const s of [s1, s2]) expect(s.running).toBe(true)

    const jobs = await listJobs(project.dir, ['--limit', String(N + 10)])
    expect(jobs).toHaveLength(N)
    expect(countStates(jobs)).toEqual({ succeeded: N })
    for (const j of jobs) {
      expect(j.result, j.id).toBe(nOf.get(j.id))
      expect(j.error, j.id).toBeNull()
      expect(j.attempt, `attempts of ${j.id}`).toBe(1)
      expect(j.errors, j.id).toEqual([])
    }
    const lines = readLines(out).map((l) => l.split(' ') as [string, string])
    const ranIds = lines.map(([id]) => id)
    expect(new Set(ranIds)).toEqual(new Set(ids))
    const dup = duplicates(ranIds)
    for (const id of dup) {
      expect(inFlight.has(id), `job ${id} ran twice but was not running on a killed worker`).toBe(true)
      const runs = lines.filter(([i]) => i === id)
      expect(runs).toHaveLength(2)
      expect(runs.some(([, pid]) => victimPids.has(pid))).toBe(true)
    }
    const successes = new Map<string, number>()
    for (const w of workers) for (const e of events(w)) if (e.event === 'succeeded') successes.set(e.id, (successes.get(e.id) ?? 0) + 1)
    expect([...successes.values()].filter((n) => n > 1)).toEqual([])

    for (const s of [s1, s2]) s.kill('SIGTERM')
    for (const s of [s1, s2]) expect((await s.waitExit(20_000)).code).toBe(0)
  }, 240_000)
})

describe('Postgres restarted in the middle of a drain', () => {
  it('workers and a producer carry on by themselves; every job enqueued or acknowledged succeeds', async () => {
    const server = await PgServer.create()
    const url = server.url({ schema: 'tq', connectTimeout: '30s' })
    const project = makeProject({ config: `{ broker: ${JSON.stringify(url)}, worker: { lease: '2s' } }` })
    const out = project.path('ran.txt')
    // 3,000 jobs of 10 ms on 2 x 10 slots: at least 1.5 s of draining, so the restart lands mid-drain.
    project.write('tasks/work.ts', recordingTask(out, '10'))
    const N = 3000
    const ids = await enqueueMany(project, 'work', Array.from({ length: N }, (_, n) => ({ n })))

    // A producer process: enqueues one job at a time through the library and prints each acknowledged id.
    mkdirSync(project.path('node_modules'), { recursive: true })
    symlinkSync(REPO_ROOT, project.path('node_modules/tqjs'), 'dir')
    project.write(
      'producer.mjs',
      `import { connect } from 'tqjs'
const tq = await connect({ broker: process.env.URL })
const total = Number(process.env.TOTAL)
let acked = 0
for (let n = 0; acked < total; n++) {
  try {
    const job = await tq.enqueue('work', { n: 100000 + n })
    acked++
    process.stdout.write('ok ' + job.id + '\\n')
  } catch (err) {
    process.stdout.write('err ' + String(err.message).split('\\n')[0] + '\\n')
  }
  await new Promise((r) => setTimeout(r, 5))
}
await tq.close()
process.stdout.write('done\\n')
`,
    )
    const TOTAL = 400
    const env: NodeJS.ProcessEnv = { ...process.env, URL: url, TOTAL: String(TOTAL) }
    delete env.NODE_OPTIONS
    delete env.TQ_BROKER_URL
    const producer = spawn(process.execPath, [project.path('producer.mjs')], { cwd: project.dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    children.add(producer)
    let pout = ''
    let perr = ''
    producer.stdout!.setEncoding('utf8').on('data', (d: string) => (pout += d))
    producer.stderr!.setEncoding('utf8').on('data', (d: string) => (perr += d))
    const producerDone = new Promise<number | null>((res) => producer.on('close', (code) => res(code)))
    const acked = () => pout.split('\n').filter((l) => l.startsWith('ok ')).map((l) => l.slice(3))
    await waitUntil(async () => acked().length >= 20, '20 acknowledged enqueues', 60_000, 20)
    const workers = [1, 2].map(() => startTq(['worker', '--concurrency', '10'], { cwd: project.dir }))

    await waitUntil(async () => readLines(out).length >= 500, '500 jobs done', 60_000, 20)
    await server.stop()
    const doneBefore = readLines(out).length
    expect(doneBefore).toBeLessThan(N)
    await server.start()

    // Same processes, no restart of theirs: the drain finishes and the producer gets all its acks.
    expect(await producerDone).toBe(0)
    expect(perr).toBe('')
    const all = [...ids, ...acked()]
    expect(acked()).toHaveLength(TOTAL)
    const broker = await open(url)
    let last: Record<JobState, number> | undefined
    await waitUntil(async () => (last = await counts(broker)).succeeded === all.length, `all ${all.length} jobs succeeded`, 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}; workers said: ${workers.map((w) => w.stderr.slice(-2000)).join(' | ')}`)
    })
    for (const w of workers) expect(w.running, `a worker exited: ${w.stderr.slice(-3000)}`).toBe(true)
    expect(readLines(out).length).toBeGreaterThan(doneBefore)
    // Every job ran; a job ran twice only if its outcome was lost with the connection (its lease
    // then lapsed and it ran again): at most what the two workers held.
    const ran = readLines(out).map((l) => l.split(' ')[0]!)
    expect(new Set(ran)).toEqual(new Set(all))
    expect(duplicates(ran).length).toBeLessThanOrEqual(2 * 2 * 10)
    const jobs = await broker.listJobs({ limit: all.length + 10 })
    expect(jobs.filter((j) => j.state !== 'succeeded')).toEqual([])
    for (const w of workers) w.kill('SIGTERM')
    for (const w of workers) expect((await w.waitExit(20_000)).code).toBe(0)
    expect(existsSync(project.db)).toBe(false)
  }, 240_000)
})
