/**
 * Task semantics end to end (issue "task semantics"): hard timeouts, shared rate limits,
 * exponential backoff, cancel, unique keys, expiry, paused queues, progress, retry/purge and
 * child jobs — each through the real `tq` binary against a temp project's SQLite broker.
 *
 * The timing-sensitive tests (timeout, rate limit, backoff) run one at a time; the others run
 * concurrently (each in its own project), each ending its own processes when it finishes.
 *
 * Sized for a loaded 2-core machine: every `tq` command is a Node process start, so the
 * concurrent tests share the CPU with each other and with whatever else runs. A test's wall time
 * is then that of the whole concurrent group, hence LOADED_MS per test; waits are on events
 * (worker log lines, files the task writes) and CLI polls are spaced (CLI_POLL_MS) so they do not
 * starve the worker they wait for. No assertion bounds how long anything took from above.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest'
import {
  cleanupTemp,
  countStates,
  enqueueBatch,
  enqueueJob,
  getJob,
  killAll,
  killProcess,
  listJobs,
  makeProject,
  ms,
  readLines,
  runTq,
  startWorker,
  waitForFile,
  waitForJobState,
  waitUntil,
  CLI_POLL_MS,
  type TqProcess,
} from '../helpers/tq.js'

afterAll(killAll)
afterAll(cleanupTemp)

const FINAL = ['succeeded', 'failed', 'cancelled', 'expired']
const q = JSON.stringify
/** Per-test timeout: a concurrent test waits for its share of two busy cores. */
const LOADED_MS = 240_000
/** Inner waits for one event (a log line, a file, a burst worker's exit). */
const WAIT_MS = 120_000

describe('timing (one test at a time)', { timeout: LOADED_MS }, () => {
  afterEach(killAll)

  describe('hard timeout', () => {
    it('a `while (true) {}` task with timeout 1s fails with a TimeoutError, not before 1 s; the same worker then completes another job', async () => {
      const project = makeProject({
        files: {
          'tasks/spin.ts': `import { task } from 'tqjs'
export const spin = task('spin', async () => { while (true) {} }, { timeout: '1s', retries: 0 })
export const ok = task('ok', async (p: { n: number }) => ({ n: p.n }))
`,
        },
      })
      const worker = await startWorker(project.dir)
      const id = await enqueueJob(project.dir, 'spin', {})
      await worker.waitForOutput(/✗ spin /, WAIT_MS, 'stdout')
      const job = await waitForJobState(project.dir, id, FINAL, WAIT_MS)
      expect(job.state).toBe('failed')
      expect(job.error?.name).toBe('TimeoutError')
      expect(job.attempt).toBe(1)
      const took = ms(job.finishedAt) - ms(job.startedAt)
      console.log(`[semantics] timeout: startedAt→finishedAt ${took} ms`)
      // Not before the limit. How soon after is a latency (bench/), not a semantic: the hard stop
      // is shown by the worker running the next job with the spinning thread replaced.
      expect(took).toBeGreaterThanOrEqual(1000)

      expect(worker.running).toBe(true)
      const next = await enqueueJob(project.dir, 'ok', { n: 7 })
      // This worker (the only one) runs it: its log has the success line.
      await worker.waitForOutput(/✓ ok /, WAIT_MS, 'stdout')
      const done = await waitForJobState(project.dir, next, FINAL, WAIT_MS)
      expect(done.state).toBe('succeeded')
      expect(done.result).toEqual({ n: 7 })
      expect(worker.running).toBe(true)
    })
  })

  describe('rate limit shared by two workers', () => {
    it("rateLimit '20/s': 100 jobs over two `tq worker`s start over at least 4.5 s, and all succeed", async () => {
      const project = makeProject({
        files: {
          'tasks/limited.ts': `import { task } from 'tqjs'
export const limited = task('limited', async (p: { n: number }) => p.n, { rateLimit: '20/s' })
`,
        },
      })
      const [w1, w2] = await Promise.all([startWorker(project.dir, ['--concurrency', '10']), startWorker(project.dir, ['--concurrency', '10'])])
      const ids = await enqueueBatch(
        project.dir,
        'limited',
        Array.from({ length: 100 }, (_, n) => ({ n })),
      )
      expect(ids).toHaveLength(100)
      // Each worker logs one line per finished job: wait for 100 of them (or a failure) in total,
      // woken by either worker's output.
      const finished = (w: TqProcess) => (w.stdout.match(/ [✓✗] limited /g) ?? []).length
      const settled = () => finished(w1) + finished(w2) >= 100 || /✗ limited /.test(w1.stdout + w2.stdout)
      const allDone = await Promise.race([w1.waitFor(settled, '100 limited jobs finished', WAIT_MS), w2.waitFor(settled, '100 limited jobs finished', WAIT_MS)]).then(
        () => true,
        () => false,
      )
      const jobs = await listJobs(project.dir, ['--task', 'limited'])
      expect(allDone, `not all 100 jobs finished: states ${JSON.stringify(countStates(jobs))}; worker 1 finished ${finished(w1)}, worker 2 ${finished(w2)}`).toBe(true)
      expect(countStates(jobs)).toEqual({ succeeded: 100 })
      const starts = jobs.map((j) => ms(j.startedAt)).sort((a, b) => a - b)
      const spread = starts[starts.length - 1]! - starts[0]!
      const span = Math.max(...jobs.map((j) => ms(j.finishedAt))) - starts[0]!
      console.log(`[semantics] rate limit: startedAt spread ${spread} ms, first start → last finish ${span} ms`)
      expect(spread).toBeGreaterThanOrEqual(4500)
      console.log(`[semantics] rate limit: worker 1 ran ${finished(w1)}, worker 2 ran ${finished(w2)}`)
      expect(w1.running && w2.running).toBe(true)
    })
  })

  describe('exponential backoff', () => {
    it("retries 3, delay '200ms', no jitter: each retry waits at least its doubled delay", async () => {
      const project = makeProject({
        files: {
          'tasks/flaky.ts': `import { task } from 'tqjs'
export const alwaysFails = task('always.fails', async (_p: unknown, ctx) => { throw new Error('attempt ' + ctx.attempt) }, {
  retries: 3, backoff: { type: 'exponential', delay: '200ms', jitter: false },
})
`,
        },
      })
      const worker = await startWorker(project.dir)
      const id = await enqueueJob(project.dir, 'always.fails', {})
      // Four failure lines; only the last has no "(retry in …)".
      await worker.waitFor((w) => (w.stdout.match(/✗ always\.fails /g) ?? []).length >= 4, 'four failed attempts', WAIT_MS)
      const job = await waitForJobState(project.dir, id, FINAL, WAIT_MS)
      expect(job.state).toBe('failed')
      expect(job.attempt).toBe(4)
      const errors = job.errors as { attempt: number; at: string; message: string }[]
      expect(errors.map((e) => e.attempt)).toEqual([1, 2, 3, 4])
      expect(errors.map((e) => e.message)).toEqual(['attempt 1', 'attempt 2', 'attempt 3', 'attempt 4'])
      const at = errors.map((e) => ms(e.at))
      const gaps = at.slice(1).map((t, i) => t - at[i]!)
      console.log(`[semantics] backoff gaps: ${gaps.join(', ')} ms`)
      // Each retry waits at least its delay: 200, 400, 800 ms (a fixed 200 ms would fail the last
      // two). Whether gap n+1 exceeds gap n is not asserted: a busy machine can stretch any gap;
      // the exact delays are unit-tested (test/unit/backoff.test.ts).
      expect(gaps[0]).toBeGreaterThanOrEqual(200)
      expect(gaps[1]).toBeGreaterThanOrEqual(400)
      expect(gaps[2]).toBeGreaterThanOrEqual(800)
    })
  })
})

describe.concurrent('states and operations (concurrently)', { timeout: LOADED_MS }, () => {
  describe('tq cancel', () => {
    it('an active job whose task awaits ctx.signal ends cancelled', async () => {
      const project = makeProject()
      const started = project.path('started')
      const aborted = project.path('aborted')
      project.write(
        'tasks/waits.ts',
        `import { writeFileSync } from 'node:fs'
import { task } from 'tqjs'
export const waits = task('waits', async (_p: unknown, ctx) => {
  writeFileSync(${q(started)}, ctx.id)
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve()
    ctx.signal.addEventListener('abort', () => resolve(), { once: true })
    setTimeout(resolve, 200_000) // bounded: never outlives the test (it ends its worker) by much
  })
  writeFileSync(${q(aborted)}, String(ctx.signal.aborted))
  return { aborted: ctx.signal.aborted }
})
`,
      )
      const worker = await startWorker(project.dir)
      onTestFinished(() => killProcess(worker))
      const id = await enqueueJob(project.dir, 'waits', {})
      await waitForFile(started, WAIT_MS)
      expect((await getJob(project.dir, id)).state).toBe('active')
      const c = await runTq(['cancel', id], { cwd: project.dir })
      expect(c.code, c.stderr).toBe(0)
      expect(c.stdout).toContain(id)
      await worker.waitForOutput(/⊘ waits /, WAIT_MS, 'stdout')
      const job = await waitForJobState(project.dir, id, FINAL, WAIT_MS)
      expect(job.state).toBe('cancelled')
      // The task saw its signal abort (it did not just run out its bound).
      await waitForFile(aborted, WAIT_MS)
      expect(readLines(aborted)).toEqual(['true'])
      expect(worker.running).toBe(true)
    })

    it('a queued job cancelled with no worker running is cancelled and never runs under a later `worker --burst`', async () => {
      const project = makeProject()
      const marker = project.path('ran')
      project.write(
        'tasks/mark.ts',
        `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const mark = task('mark', async (_p: unknown, ctx) => { appendFileSync(${q(marker)}, ctx.id + '\\n'); return 1 })
`,
      )
      const id = await enqueueJob(project.dir, 'mark', {})
      const other = await enqueueJob(project.dir, 'mark', {})
      const c = await runTq(['cancel', id], { cwd: project.dir })
      expect(c.code, c.stderr).toBe(0)
      expect((await getJob(project.dir, id)).state).toBe('cancelled')
      const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: WAIT_MS })
      expect(w.code, w.stderr).toBe(0)
      expect((await getJob(project.dir, id)).state).toBe('cancelled')
      // The worker did run: the other job succeeded, and only it wrote the marker.
      expect((await getJob(project.dir, other)).state).toBe('succeeded')
      expect(readLines(marker)).toEqual([other])
    })
  })

  describe('unique --key', () => {
    it('enqueueing the same --key twice (--delay 1h) gives one job: the same id printed twice', async () => {
      const project = makeProject({
        files: { 'tasks/echo.ts': `import { task } from 'tqjs'\nexport const echo = task('echo', async (p: unknown) => p)\n` },
      })
      const a = await enqueueJob(project.dir, 'echo', { n: 1 }, ['--key', 'k', '--delay', '1h'])
      const b = await enqueueJob(project.dir, 'echo', { n: 2 }, ['--key', 'k', '--delay', '1h'])
      expect(a).toMatch(/\S/)
      expect(b).toBe(a)
      const jobs = await listJobs(project.dir)
      expect(jobs).toHaveLength(1)
      expect(jobs[0]).toMatchObject({ id: a, state: 'scheduled', payload: { n: 1 } })
      // --json says the second one was not created.
      const r = await runTq(['enqueue', 'echo', '{"n":3}', '--key', 'k', '--delay', '1h', '--json'], { cwd: project.dir })
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ id: a, created: false })
      expect(await listJobs(project.dir)).toHaveLength(1)
    })
  })

  describe('expires', () => {
    it('a job already past its expiry when a worker starts (task option expires: 0) is expired and never runs', async () => {
      const project = makeProject()
      const marker = project.path('ran')
      project.write(
        'tasks/perish.ts',
        `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const perish = task('perish', async (_p: unknown, ctx) => { appendFileSync(${q(marker)}, ctx.id + '\\n'); return 1 }, { expires: 0 })
export const keep = task('keep', async (_p: unknown, ctx) => { appendFileSync(${q(marker)}, ctx.id + '\\n'); return 2 })
`,
      )
      const id = await enqueueJob(project.dir, 'perish', {})
      const kept = await enqueueJob(project.dir, 'keep', {})
      const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: WAIT_MS })
      expect(w.code, w.stderr).toBe(0)
      const job = await getJob(project.dir, id)
      expect(job.state).toBe('expired')
      expect(job.startedAt).toBeNull()
      expect((await getJob(project.dir, kept)).state).toBe('succeeded')
      expect(readLines(marker)).toEqual([kept])
    })
  })

  describe('paused queue', () => {
    it('tq pause default: a running worker leaves the job queued while it runs another queue; tq resume default: it then succeeds', async () => {
      const project = makeProject({
        files: {
          'tasks/echo.ts': `import { task } from 'tqjs'
export const echo = task('echo', async (p: unknown) => ({ got: p }))
// On its own queue, so the worker (which takes every queue its tasks name) claims while default is paused.
export const probe = task('probe', async () => 'ran', { queue: 'side' })
`,
        },
      })
      const p = await runTq(['pause', 'default'], { cwd: project.dir })
      expect(p.code, p.stderr).toBe(0)
      const id = await enqueueJob(project.dir, 'echo', { x: 1 })
      const probe = await enqueueJob(project.dir, 'probe', {})
      const worker = await startWorker(project.dir)
      onTestFinished(() => killProcess(worker))
      // The worker has claimed: the probe, enqueued after the echo job and ready as long, ran. An
      // unpaused default queue would have handed out the echo job in that claim or before it.
      await worker.waitForOutput(/✓ probe /, WAIT_MS, 'stdout')
      expect((await getJob(project.dir, probe)).state).toBe('succeeded')
      expect((await getJob(project.dir, id)).state).toBe('queued')
      expect(worker.stdout).not.toMatch(/▶ echo/)

      const r = await runTq(['resume', 'default'], { cwd: project.dir })
      expect(r.code, r.stderr).toBe(0)
      await worker.waitForOutput(/✓ echo /, WAIT_MS, 'stdout')
      const job = await waitForJobState(project.dir, id, FINAL, WAIT_MS)
      expect(job.state).toBe('succeeded')
      expect(job.result).toEqual({ got: { x: 1 } })
    })
  })

  describe('progress', () => {
    it('ctx.progress(0.5) shows in tq job --json while the job is active', async () => {
      const project = makeProject()
      const release = project.path('release')
      const reported = project.path('reported')
      project.write(
        'tasks/slow.ts',
        `import { existsSync, writeFileSync } from 'node:fs'
import { task } from 'tqjs'
export const halfway = task('halfway', async (_p: unknown, ctx) => {
  ctx.progress(0.5)
  writeFileSync(${q(reported)}, '0.5')
  // Task code in the worker's thread: polls for the test's release file, bounded by the test's length.
  const deadline = Date.now() + 200_000
  while (!existsSync(${q(release)}) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  return { released: existsSync(${q(release)}) }
})
`,
      )
      const worker = await startWorker(project.dir)
      onTestFinished(() => killProcess(worker))
      const id = await enqueueJob(project.dir, 'halfway', {})
      // The task has called ctx.progress(0.5); the engine stores it shortly after.
      await waitForFile(reported, WAIT_MS)
      const seen = await waitUntil(
        async () => {
          const j = await getJob(project.dir, id)
          return j.progress === 0.5 ? j : false
        },
        'progress 0.5',
        WAIT_MS,
        CLI_POLL_MS,
      )
      expect(seen.state).toBe('active')
      writeFileSync(release, 'go')
      await worker.waitForOutput(/✓ halfway /, WAIT_MS, 'stdout')
      const job = await waitForJobState(project.dir, id, FINAL, WAIT_MS)
      expect(job.state).toBe('succeeded')
      expect(job.result).toEqual({ released: true })
    })
  })

  describe('tq retry and tq purge', () => {
    it('retry <id> requeues one failed job, retry --failed the rest, purge --state failed deletes failed jobs only', async () => {
      const project = makeProject()
      const fixed = project.path('fixed')
      const ran = project.path('ran')
      project.write(
        'tasks/fix.ts',
        `import { appendFileSync, existsSync } from 'node:fs'
import { task } from 'tqjs'
export const broken = task('broken', async (_p: unknown, ctx) => {
  appendFileSync(${q(ran)}, ctx.id + '\\n')
  if (!existsSync(${q(fixed)})) throw new Error('not fixed yet')
  return { fixed: true }
})
export const fine = task('fine', async () => 'ok')
`,
      )
      const [a, b, c] = await enqueueBatch(project.dir, 'broken', [{ n: 1 }, { n: 2 }, { n: 3 }])
      const ok = await enqueueJob(project.dir, 'fine', {})
      const burst = async () => {
        const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: WAIT_MS })
        expect(w.code, w.stderr).toBe(0)
      }
      const states = async () => Object.fromEntries((await listJobs(project.dir)).map((j) => [j.id, j.state]))

      await burst()
      expect(await states()).toEqual({ [a!]: 'failed', [b!]: 'failed', [c!]: 'failed', [ok]: 'succeeded' })

      // retry <id>: that job only goes back to the queue, and runs again (now fixed).
      const r1 = await runTq(['retry', a!], { cwd: project.dir })
      expect(r1.code, r1.stderr).toBe(0)
      expect(r1.stdout).toMatch(/requeued 1 job/)
      expect(await states()).toEqual({ [a!]: 'queued', [b!]: 'failed', [c!]: 'failed', [ok]: 'succeeded' })
      writeFileSync(fixed, 'yes')
      await burst()
      const retried = await getJob(project.dir, a!)
      expect(retried.state).toBe('succeeded')
      expect(retried.result).toEqual({ fixed: true })
      expect(readLines(ran).filter((l) => l === a)).toHaveLength(2)

      // retry --failed: every failed job.
      const r2 = await runTq(['retry', '--failed'], { cwd: project.dir })
      expect(r2.code, r2.stderr).toBe(0)
      expect(r2.stdout).toMatch(/requeued 2 job/)
      expect(await states()).toEqual({ [a!]: 'succeeded', [b!]: 'queued', [c!]: 'queued', [ok]: 'succeeded' })

      // Make them fail again, then purge the failed ones.
      rmSync(fixed)
      await burst()
      expect(await states()).toEqual({ [a!]: 'succeeded', [b!]: 'failed', [c!]: 'failed', [ok]: 'succeeded' })
      const p = await runTq(['purge', '--state', 'failed'], { cwd: project.dir })
      expect(p.code, p.stderr).toBe(0)
      expect(p.stdout).toMatch(/deleted 2 job/)
      expect(await states()).toEqual({ [a!]: 'succeeded', [ok]: 'succeeded' })
      const gone = await runTq(['job', b!, '--json'], { cwd: project.dir })
      expect(gone.code).toBe(1)
    })

    it('retry of a failed job whose unique key a live job holds now says so, and leaves it failed', async () => {
      const project = makeProject({ files: { 'tasks/keyed.ts': `import { task } from 'tqjs'\nexport const keyed = task('keyed', async () => { throw new Error('no') }, { retries: 0 })\n` } })
      const first = await enqueueJob(project.dir, 'keyed', {}, ['--key', 'report-1'])
      const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: WAIT_MS })
      expect(w.code, w.stderr).toBe(0)
      const second = await enqueueJob(project.dir, 'keyed', {}, ['--key', 'report-1'])
      expect(second).not.toBe(first)
      const r = await runTq(['retry', first], { cwd: project.dir })
      expect(r.code).not.toBe(0)
      expect(r.stderr).toMatch(/was not retried: another live job holds its unique key "report-1"/)
      expect((await getJob(project.dir, first)).state).toBe('failed')
    })
  })

  describe('child jobs', () => {
    it('a child enqueued with ctx.enqueue is listed by `tq job <parent>`', async () => {
      const project = makeProject({
        files: {
          'tasks/family.ts': `import { task } from 'tqjs'
export const child = task('family.child', async (p: { from: string }) => ({ parent: p.from }))
export const parent = task('family.parent', async (_p: unknown, ctx) => {
  const kid = await ctx.enqueue(child, { from: ctx.id })
  return { child: kid.id }
})
`,
        },
      })
      const parentId = await enqueueJob(project.dir, 'family.parent', {})
      const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: WAIT_MS })
      expect(w.code, w.stderr).toBe(0)
      const parent = await getJob(project.dir, parentId)
      expect(parent.state).toBe('succeeded')
      const childId = (parent.result as { child: string }).child
      expect(childId).toMatch(/\S/)
      const child = await getJob(project.dir, childId)
      expect(child).toMatchObject({ task: 'family.child', parentId, state: 'succeeded', result: { parent: parentId } })

      const human = await runTq(['job', parentId], { cwd: project.dir })
      expect(human.code, human.stderr).toBe(0)
      expect(human.stdout).toMatch(/children/)
      expect(human.stdout).toContain(childId)
    })
  })
})
