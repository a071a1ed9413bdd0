/**
 * A worker survives its tasks: a throw or a process.exit() fails that job only; and it shuts
 * down gracefully on SIGTERM, finishing the job it is running.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CLI_POLL_MS, LOADED_TEST_MS, cleanupTemp, getJob, killAll, listJobs, makeProject, readLines, runTq, startTq, waitUntil, type Job } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

async function enqueue(cwd: string, task: string, payload: unknown): Promise<string> {
  const r = await runTq(['enqueue', task, JSON.stringify(payload)], { cwd })
  expect(r.code, r.stderr).toBe(0)
  return r.stdout.trim()
}

const untilState = (cwd: string, id: string, states: string[], ms = 30_000): Promise<Job> =>
  waitUntil(async () => {
    const job = await getJob(cwd, id)
    return states.includes(job.state) ? job : false
  }, `job ${id} in ${states.join('/')}`, ms, CLI_POLL_MS)

describe('a task that throws or exits', { timeout: LOADED_TEST_MS }, () => {
  it('fails that job with an error message; the same worker then completes other jobs', async () => {
    const project = makeProject()
    const out = project.path('ran.txt')
    project.write(
      'tasks/bad.ts',
      `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const thrower = task('thrower', async () => { throw new Error('thrown on purpose') })
export const exiter = task('exiter', async () => { process.exit(1) })
export const ok = task('ok', async (p: { n: number }) => {
  appendFileSync(${JSON.stringify(out)}, p.n + '\\n')
  return { n: p.n }
})
`,
    )
    const worker = startTq(['worker', '--concurrency', '2'], { cwd: project.dir })
    await worker.waitForOutput(/tq worker .* on /, 30_000, 'stderr')

    const thrown = await untilState(project.dir, await enqueue(project.dir, 'thrower', {}), ['failed', 'succeeded'])
    expect(thrown.state).toBe('failed')
    expect(thrown.error?.message).toBe('thrown on purpose')
    expect(worker.running).toBe(true)

    const exited = await untilState(project.dir, await enqueue(project.dir, 'exiter', {}), ['failed', 'succeeded'])
    expect(exited.state).toBe('failed')
    expect(exited.error?.message).toMatch(/process\.exit\(1\)/)
    expect(worker.running).toBe(true)

    // The same worker process keeps working.
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => enqueue(project.dir, 'ok', { n })))
    await waitUntil(async () => {
      const jobs = await listJobs(project.dir, ['--task', 'ok'])
      return jobs.length === 5 && jobs.every((j) => j.state === 'succeeded')
    }, '5 ok jobs succeeded', 60_000, CLI_POLL_MS)
    expect(worker.running).toBe(true)
    expect(readLines(out).sort()).toEqual(['1', '2', '3', '4', '5'])
    // ...and it is this worker (the only one) that ran them: five success lines in its log.
    await worker.waitFor((p) => (p.stdout.match(/ ✓ ok /g) ?? []).length === 5, '5 ok success lines', 10_000)
    expect(ids).toHaveLength(5)

    // The failures stay failed (no retries configured), with their messages.
    expect((await getJob(project.dir, thrown.id)).state).toBe('failed')
    expect((await getJob(project.dir, exited.id)).state).toBe('failed')

    worker.kill('SIGTERM')
    expect((await worker.waitExit(20_000)).code).toBe(0)
  })

  it('process.exit() in a task while other jobs run: only that job fails', async () => {
    const project = makeProject()
    project.write(
      'tasks/mix.ts',
      `import { task } from 'tqjs'
export const exiter = task('exiter', async () => { await new Promise((r) => setTimeout(r, 100)); process.exit(3) })
export const slowOk = task('slow.ok', async (p: { n: number }) => { await new Promise((r) => setTimeout(r, 300)); return p.n })
`,
    )
    const worker = startTq(['worker', '--concurrency', '4', '--threads', '1'], { cwd: project.dir })
    await worker.waitForOutput(/tq worker .* on /, 30_000, 'stderr')
    const okIds = await Promise.all([1, 2].map((n) => enqueue(project.dir, 'slow.ok', { n })))
    const exitId = await enqueue(project.dir, 'exiter', {})
    const exited = await untilState(project.dir, exitId, ['failed', 'succeeded'])
    expect(exited.state).toBe('failed')
    expect(exited.error?.message).toMatch(/process\.exit\(3\)/)
    // The bystanders on the same thread are not failed: they end succeeded (after a rerun if their thread was lost).
    for (const id of okIds) expect((await untilState(project.dir, id, ['succeeded', 'failed'], 45_000)).state).toBe('succeeded')
    expect(worker.running).toBe(true)
    worker.kill('SIGTERM')
    expect((await worker.waitExit(20_000)).code).toBe(0)
  })
})

describe('SIGTERM', { timeout: LOADED_TEST_MS }, () => {
  it('a worker running a ~1 s job finishes it (succeeded) and exits 0', async () => {
    const project = makeProject()
    const started = project.path('started')
    const done = project.path('done')
    project.write(
      'tasks/slow.ts',
      `import { writeFileSync } from 'node:fs'
import { task } from 'tqjs'
export const slow = task('slow', async () => {
  writeFileSync(${JSON.stringify(started)}, 'x')
  await new Promise((r) => setTimeout(r, 1000))
  writeFileSync(${JSON.stringify(done)}, 'x')
  return { finished: true }
})
`,
    )
    const id = await enqueue(project.dir, 'slow', {})
    const worker = startTq(['worker'], { cwd: project.dir })
    await worker.waitForOutput(/▶ slow /, 30_000, 'stdout')
    worker.kill('SIGTERM')
    const exit = await worker.waitExit(30_000)
    expect(exit.code, worker.stderr).toBe(0)
    expect(worker.stderr).toMatch(/stopping/)
    expect(existsSync(started)).toBe(true)
    expect(existsSync(done)).toBe(true)
    const job = await getJob(project.dir, id)
    expect(job.state).toBe('succeeded')
    expect(job.result).toEqual({ finished: true })
    expect(job.attempt).toBe(1)
  })

  it('after SIGTERM the running job still completes, and no new job is taken', async () => {
    const project = makeProject()
    const release = project.path('release')
    project.write(
      'tasks/gated.ts',
      `import { existsSync, writeFileSync } from 'node:fs'
import { task } from 'tqjs'
// Runs until the test creates the release file (bounded by about the test's length, which on a
// loaded machine is long), so SIGTERM surely lands mid-job. Task code: no vi.waitFor here.
export const gated = task('gated', async () => {
  const deadline = Date.now() + 120_000
  while (!existsSync(${JSON.stringify(release)}) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  return { released: existsSync(${JSON.stringify(release)}) }
})
`,
    )
    const first = await enqueue(project.dir, 'gated', {})
    const worker = startTq(['worker', '--concurrency', '1'], { cwd: project.dir })
    await worker.waitForOutput(/▶ gated /, 60_000, 'stdout')
    const later = await enqueue(project.dir, 'gated', {})
    worker.kill('SIGTERM')
    await worker.waitForOutput(/stopping/, 60_000, 'stderr')
    writeFileSync(release, 'go')
    expect((await worker.waitExit(60_000)).code).toBe(0)
    const job = await getJob(project.dir, first)
    expect(job.state).toBe('succeeded')
    expect(job.result).toEqual({ released: true })
    expect((await getJob(project.dir, later)).state).toBe('queued')
  })
})
