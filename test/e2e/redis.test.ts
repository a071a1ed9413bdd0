/**
 * The tq binary on the Redis broker: workers killed with SIGKILL mid-run, Redis restarted under a
 * running worker and producer (AOF on), `tq dev` and the inspection commands on Redis, and a
 * password-protected server. Each test has its own key prefix (deleted afterwards); tests that stop
 * Redis or need a password run their own redis-server on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import { JOB_STATES, type Broker, type JobState } from '../../src/broker/types.js'
import {
  CLI_POLL_MS,
  LOADED_TEST_MS,
  cleanupTemp,
  countStates,
  deleteRedisKeys,
  DEV_BANNER,
  duplicates,
  E2E_REDIS,
  ERROR_LINE,
  getJob,
  killAll,
  killRedisServers,
  listJobs,
  makeProject,
  readLines,
  REPO_ROOT,
  redisPrefix,
  redisUrl,
  runTq,
  startRedisServer,
  startTq,
  stderrLines,
  waitUntil,
  type TempProject,
  type TqProcess,
} from '../helpers/tq.js'

// ---- per-test cleanup: processes, brokers opened here, key prefixes ----
const prefixes: { prefix: string; url: string }[] = []
const brokers: Broker[] = []
const children = new Set<ChildProcess>()

/** A fresh key prefix on the shared Redis (or `base`), deleted after the test. */
function freshUrl(base = E2E_REDIS, query: Record<string, string> = {}): string {
  const prefix = redisPrefix()
  const url = redisUrl({ prefix, ...query }, base)
  prefixes.push({ prefix, url: base })
  return url
}

/** A broker handle for polling counts (the assertions go through the CLI). */
async function open(url: string): Promise<Broker> {
  const b = await RedisBroker.connect(url)
  brokers.push(b)
  return b
}

afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
  await killAll()
  await Promise.all(brokers.splice(0).map((b) => b.close().catch(() => undefined)))
  await killRedisServers()
  // Private servers are gone by now; their prefixes went with them.
  for (const { prefix, url } of prefixes.splice(0)) if (url === E2E_REDIS) await deleteRedisKeys(prefix)
})
afterAll(cleanupTemp)

async function counts(broker: Broker): Promise<Record<JobState, number>> {
  // Every state the broker counts (JOB_STATES, 'waiting' included): a state missing here would add
  // NaN to the total and the 'all succeeded' sum below would never hold.
  const total = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>
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

/** `p`, or a rejection naming `what` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The `tq worker --json` event lines printed so far (complete lines only). */
function events(w: TqProcess): { event: string; id: string }[] {
  return w.stdout
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { event: string; id: string })
}

describe('kill -9 of two of four workers on Redis', () => {
  it('10,000 jobs all succeed once each; only jobs running on the killed workers run twice', async () => {
    const N = 10_000
    const CONCURRENCY = 10
    const url = freshUrl()
    const project = makeProject({ config: `{ broker: ${JSON.stringify(url)}, worker: { lease: '2s' } }` })
    const out = project.path('ran.txt')
    project.write(
      'tasks/work.ts',
      `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const work = task('work', async (p: { n: number }, ctx) => {
  await new Promise((r) => setTimeout(r, 1 + (p.n % 5)))
  appendFileSync(${JSON.stringify(out)}, ctx.id + ' ' + process.pid + '\\n')
  return p.n
})
`,
    )
    const ids = await enqueueMany(
      project,
      'work',
      Array.from({ length: N }, (_, n) => ({ n })),
    )
    const nOf = new Map(ids.map((id, n) => [id, n]))
    const broker = await open(url)

    // --json: one event line per start and end, with the full job id.
    const workers = Array.from({ length: 4 }, () => startTq(['worker', '--json', '--concurrency', String(CONCURRENCY)], { cwd: project.dir }))
    const [v1, v2, s1, s2] = workers as [TqProcess, TqProcess, TqProcess, TqProcess]
    // Kill once both victims are busy and a fair share of the work is done, well before the end.
    await waitUntil(
      async () => v1.stdout.includes('"event":"started"') && v2.stdout.includes('"event":"started"') && readLines(out).length >= 1500,
      'both victims running jobs and 1,500 jobs done',
      60_000,
      50,
    )
    v1.kill('SIGKILL')
    v2.kill('SIGKILL')
    for (const v of [v1, v2]) expect((await v.waitExit(10_000)).signal).toBe('SIGKILL')
    const doneAtKill = readLines(out).length
    expect(doneAtKill).toBeLessThan(N)

    // Jobs each victim had started and not reported finished when it died: the only ones that may run twice.
    const inFlight = new Set<string>()
    const victimPids = new Set([String(v1.pid), String(v2.pid)])
    for (const v of [v1, v2]) {
      const open = new Set<string>()
      for (const e of events(v)) {
        if (e.event === 'started') open.add(e.id)
        else open.delete(e.id)
      }
      // In flight: up to `concurrency` running plus as many finished whose outcome was not yet
      // committed (the next claim overlaps that commit; README, Semantics).
      expect(open.size).toBeLessThanOrEqual(2 * CONCURRENCY)
      for (const id of open) inFlight.add(id)
    }

    // The survivors finish everything, including the victims' jobs once their 2 s leases lapse.
    await waitUntil(async () => (await counts(broker)).succeeded === N, `all ${N} jobs succeeded`, 60_000, 250)
    for (const s of [s1, s2]) expect(s.running).toBe(true)

    const jobs = await listJobs(project.dir, ['--limit', String(N + 10)])
    expect(jobs).toHaveLength(N)
    expect(countStates(jobs)).toEqual({ succeeded: N })
    for (const j of jobs) {
      // One result per job, the one its payload gives: no stale holder's completion overwrote it.
      expect(j.result).toBe(nOf.get(j.id))
      expect(j.error).toBeNull()
      // A lease lost with its worker does not use up an attempt (README, Semantics).
      expect(j.attempt).toBe(1)
      expect(j.errors).toEqual([])
      expect(j.finishedAt).not.toBeNull()
    }

    // Each job ran at least once; a second run only for jobs in flight on a killed worker.
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
    expect(dup.length).toBeLessThanOrEqual(2 * 2 * CONCURRENCY)

    // Every completion the workers reported was accepted at most once per job.
    const successes = new Map<string, number>()
    for (const w of workers) for (const e of events(w)) if (e.event === 'succeeded') successes.set(e.id, (successes.get(e.id) ?? 0) + 1)
    expect([...successes.values()].filter((n) => n > 1)).toEqual([])

    for (const s of [s1, s2]) s.kill('SIGTERM')
    for (const s of [s1, s2]) expect((await s.waitExit(20_000)).code).toBe(0)
  }, 150_000)
})

describe('Redis restarted under a running worker and producer (AOF, fsync always)', () => {
  it('the worker resumes by itself and no acknowledged enqueue is lost', async () => {
    const server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] })
    const url = freshUrl(server.url(), { connectTimeout: '3s' })
    const project = makeProject({ config: `{ broker: ${JSON.stringify(url)}, worker: { lease: '2s' } }` })
    project.write(
      'tasks/work.ts',
      `import { task } from 'tqjs'
export const work = task('work', async (p: { n: number }) => {
  await new Promise((r) => setTimeout(r, 5))
  return p.n
})
`,
    )
    // A producer process: enqueues one job at a time through the library, prints each
    // acknowledged id, and carries on through failures (those enqueues are not acknowledged).
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
    const job = await tq.enqueue('work', { n })
    acked++
    process.stdout.write('ok ' + job.id + '\\n')
  } catch (err) {
    process.stdout.write('err ' + String(err.message).split('\\n')[0] + '\\n')
  }
  await new Promise((r) => setTimeout(r, 5)) // pacing: a steady trickle of requests
}
await tq.close()
process.stdout.write('done\\n')
`,
    )
    const worker = startTq(['worker', '--concurrency', '5'], { cwd: project.dir })
    await worker.waitForOutput(/tq worker .* on /, 30_000, 'stderr')
    const TOTAL = 600
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
    const succeededLines = () => (worker.stdout.match(/ ✓ work /g) ?? []).length

    await waitUntil(async () => acked().length >= 100 && succeededLines() >= 50, '100 acknowledged enqueues and 50 jobs done', 60_000, 20)
    expect(acked().length).toBeLessThan(TOTAL)
    await server.shutdown()
    // Both sides notice the outage before Redis comes back.
    await waitUntil(async () => /^err /m.test(pout), 'an enqueue failing during the outage', 30_000, 20)
    await worker.waitForOutput(/broker error/, 30_000, 'stderr')
    const doneBeforeRestart = succeededLines()
    await server.start()

    // Same worker process, no restart: it takes jobs again, and the producer gets all its acks.
    expect(await within(producerDone, 60_000, `the producer to get ${TOTAL} acknowledgements`)).toBe(0)
    expect(perr).toBe('')
    const ids = acked()
    expect(ids).toHaveLength(TOTAL)
    const broker = await open(url)
    await waitUntil(
      async () => {
        const c = await counts(broker)
        return c.succeeded > 0 && c.succeeded === Object.values(c).reduce((a, b) => a + b, 0)
      },
      'every job succeeded',
      60_000,
      250,
    )
    expect(worker.running).toBe(true)
    expect(succeededLines()).toBeGreaterThan(doneBeforeRestart)
    const jobs = await listJobs(project.dir)
    const byId = new Map(jobs.map((j) => [j.id, j]))
    const lost = ids.filter((id) => byId.get(id)?.state !== 'succeeded')
    expect(lost, `acknowledged jobs not succeeded: ${lost.map((id) => `${id}=${byId.get(id)?.state ?? 'missing'}`).join(', ')}`).toEqual([])
    expect(countStates(jobs)).toEqual({ succeeded: jobs.length })

    worker.kill('SIGTERM')
    expect((await worker.waitExit(20_000)).code).toBe(0)
  }, 150_000)
})

describe('tq dev and the inspection commands on Redis', { timeout: LOADED_TEST_MS }, () => {
  const TASKS = `import { task, schedule } from 'tqjs'
export const work = task('work', async (p: { n: number }) => ({ doubled: p.n * 2 }))
export const ping = task('ping', async () => 'pong')
export const tick = schedule({ every: '2s' }, ping)
`

  it('tq dev --broker redis:// runs a job enqueued with tq enqueue --broker redis://', async () => {
    const url = freshUrl()
    const project = makeProject({ files: { 'tasks/work.ts': TASKS } })
    const dev = startTq(['dev', '--no-beat', '--broker', url], { cwd: project.dir })
    await dev.waitForOutput(DEV_BANNER, 30_000)
    const r = await runTq(['enqueue', 'work', '{"n":21}', '--broker', url, '--wait', '--timeout', '30s'], { cwd: project.dir })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ doubled: 42 })
    await dev.waitForOutput(/✓ work /, 10_000, 'stdout')
    // Redis it was: the default SQLite file was never created.
    expect(existsSync(project.db)).toBe(false)
    dev.kill('SIGTERM')
    expect((await dev.waitExit(20_000)).code).toBe(0)
  })

  it('tq jobs --json, tq job, tq schedules and tq status --json read Redis', async () => {
    const url = freshUrl()
    const project = makeProject({ files: { 'tasks/work.ts': TASKS }, config: `{ broker: ${JSON.stringify(url)} }` })
    const done = (await runTq(['enqueue', 'work', '{"n":1}'], { cwd: project.dir })).stdout.trim()
    const later = (await runTq(['enqueue', 'work', '{"n":2}', '--delay', '1h'], { cwd: project.dir })).stdout.trim()
    expect(done).toMatch(/\S/)
    expect(later).toMatch(/\S/)
    const burst = await runTq(['worker', '--burst', '--quiet'], { cwd: project.dir })
    expect(burst.code, burst.stderr).toBe(0)

    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => [j.id, j.state]).sort()).toEqual([[done, 'succeeded'], [later, 'scheduled']].sort())
    expect((await listJobs(project.dir, ['--state', 'scheduled'])).map((j) => j.id)).toEqual([later])
    const job = await getJob(project.dir, done)
    expect(job).toMatchObject({ id: done, task: 'work', queue: 'default', state: 'succeeded', payload: { n: 1 }, result: { doubled: 2 }, attempt: 1, error: null })
    const human = await runTq(['job', done], { cwd: project.dir })
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain(done)
    expect(human.stdout).toMatch(/succeeded/)

    // A beat puts the schedule and its first slot on Redis; tq schedules reads them back.
    const beat = startTq(['beat'], { cwd: project.dir })
    const schedules = await waitUntil(
      async () => {
        const r = await runTq(['schedules', '--json'], { cwd: project.dir })
        if (r.code !== 0) throw new Error(r.stderr)
        const views = JSON.parse(r.stdout) as { name: string; task: string; next: string[]; lastJob: { id: string } | null }[]
        return views[0]?.lastJob ? views : false
      },
      'tq schedules to show a slot beat enqueued',
      60_000,
      CLI_POLL_MS,
    )
    beat.kill('SIGTERM')
    await beat.waitExit(20_000)
    expect(schedules).toHaveLength(1)
    expect(schedules[0]).toMatchObject({ name: 'tick', task: 'ping' })
    expect(schedules[0]!.next).toHaveLength(3)
    expect(schedules[0]!.lastJob!.id).toMatch(/^schedule:tick:/)

    if (!existsSync(join(REPO_ROOT, 'commands', 'status.ts'))) return
    const status = await runTq(['status', '--json'], { cwd: project.dir })
    expect(status.code, status.stderr).toBe(0)
    const snap = JSON.parse(status.stdout) as { broker: string; queues: { queue: string; counts: Record<string, number> }[]; schedules: { name: string }[] }
    expect(snap.broker).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0/)
    const dflt = snap.queues.find((q) => q.queue === 'default')!
    expect(dflt.counts.succeeded).toBe(1)
    expect(dflt.counts.scheduled).toBeGreaterThanOrEqual(1)
    expect(snap.schedules.map((s) => s.name)).toEqual(['tick'])
  })
})

describe('a password-protected Redis', () => {
  it('tq enqueue works with the right password; a wrong one fails in one line without the password', async () => {
    const server = await startRedisServer({ password: 's3cret' })
    const project = makeProject({ files: { 'tasks/work.ts': `import { task } from 'tqjs'\nexport const work = task('work', async () => 1)\n` } })
    const good = server.url({ prefix: redisPrefix() }, ':s3cret@')
    const ok = await runTq(['enqueue', 'work', '{}', '--broker', good], { cwd: project.dir })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.trim()).toMatch(/^\S+$/)
    expect((await server.cli('--scan')).out).toMatch(/job:/)

    const bad = server.url({ prefix: redisPrefix() }, ':wr0ngpass@')
    const r = await runTq(['enqueue', 'work', '{}', '--broker', bad], { cwd: project.dir })
    expect(r.code).toBe(1)
    const lines = stderrLines(r)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(ERROR_LINE)
    expect(r.stderr + r.stdout).not.toContain('wr0ngpass')
    expect(r.stderr + r.stdout).not.toContain('s3cret')
  })
})
