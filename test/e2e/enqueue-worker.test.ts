import { writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  cleanupTemp,
  duplicates,
  ERROR_LINE,
  getJob,
  killAll,
  listJobs,
  makeProject,
  readLines,
  runTq,
  startTq,
  type Job,
} from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

describe('enqueue --batch and worker --burst', () => {
  it('300 NDJSON payloads: enqueue prints 300, a burst worker exits 0 and runs each exactly once', async () => {
    const project = makeProject()
    const out = project.path('ran.txt')
    project.write(
      'tasks/record.ts',
      `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const record = task('record', async (p: { n: number }) => {
  appendFileSync(${JSON.stringify(out)}, p.n + '\\n')
  return { n: p.n }
})
`,
    )
    const batch = project.path('payloads.ndjson')
    writeFileSync(batch, Array.from({ length: 300 }, (_, n) => JSON.stringify({ n })).join('\n') + '\n')

    const enq = await runTq(['enqueue', 'record', '--batch', batch], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)
    expect(enq.stdout.trim()).toBe('300')

    const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: 60_000 })
    expect(w.timedOut, `worker --burst did not exit; stderr:\n${w.stderr}`).toBe(false)
    expect(w.code, w.stderr).toBe(0)

    const lines = readLines(out)
    expect(duplicates(lines)).toEqual([])
    expect(lines).toHaveLength(300)
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: 300 }, (_, n) => String(n))))

    const succeeded = await listJobs(project.dir, ['--state', 'succeeded', '--limit', '1000'])
    expect(succeeded).toHaveLength(300)
    expect(new Set(succeeded.map((j) => (j.payload as { n: number }).n)).size).toBe(300)
    const all = await listJobs(project.dir)
    expect(all).toHaveLength(300)
  })

  it('--batch - reads NDJSON from stdin', async () => {
    const project = makeProject({
      files: { 'tasks/echo.ts': `import { task } from 'tqjs'\nexport const echo = task('echo', async (p: unknown) => p)\n` },
    })
    const enq = await runTq(['enqueue', 'echo', '--batch', '-'], { cwd: project.dir, input: '{"a":1}\n\n{"a":2}\n{"a":3}\n' })
    expect(enq.code, enq.stderr).toBe(0)
    expect(enq.stdout.trim()).toBe('3')
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.payload).sort((a, b) => (a as { a: number }).a - (b as { a: number }).a)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }])
  })
})

describe('enqueue --wait against a running worker', () => {
  it('prints the result JSON; a task that throws makes it exit 1 with an Error: line', async () => {
    const project = makeProject({
      files: {
        'tasks/math.ts': `import { task } from 'tqjs'
export const add = task('math.add', async (p: { a: number; b: number }) => ({ sum: p.a + p.b, echo: p }))
export const boom = task('boom', async () => { throw new Error('kaboom') })
`,
      },
    })
    const worker = startTq(['worker'], { cwd: project.dir })
    await worker.waitForOutput(/tq worker .* on /, 30_000, 'stderr')

    const ok = await runTq(['enqueue', 'math.add', '{"a":2,"b":40}', '--wait', '--timeout', '30s'], { cwd: project.dir, timeoutMs: 40_000 })
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({ sum: 42, echo: { a: 2, b: 40 } })

    const bad = await runTq(['enqueue', 'boom', '{}', '--wait', '--timeout', '30s'], { cwd: project.dir, timeoutMs: 40_000 })
    expect(bad.code, `stdout: ${bad.stdout}\nstderr: ${bad.stderr}`).toBe(1)
    const errorLines = bad.stderr.split('\n').filter((l) => l.startsWith('Error: '))
    expect(errorLines, bad.stderr).toHaveLength(1)
    expect(errorLines[0]).toMatch(/kaboom/)
    expect(errorLines[0]).toMatch(ERROR_LINE)

    expect(worker.running).toBe(true)
    worker.kill('SIGTERM')
    expect((await worker.waitExit(20_000)).code).toBe(0)
  })

  it('--wait --timeout gives up (non-zero) when no worker runs, and the job stays queued', async () => {
    const project = makeProject({
      files: { 'tasks/echo.ts': `import { task } from 'tqjs'\nexport const echo = task('echo', async (p: unknown) => p)\n` },
    })
    const r = await runTq(['enqueue', 'echo', '{"a":1}', '--wait', '--timeout', '1s'], { cwd: project.dir, timeoutMs: 20_000 })
    expect(r.timedOut).toBe(false)
    expect(r.code).toBe(1)
    expect(r.stderr.split('\n').filter((l) => l.trim())).toEqual([expect.stringMatching(ERROR_LINE)])
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.state)).toEqual(['queued'])
  })
})

describe('tq job <id> --json', () => {
  const KEYS = [
    'id', 'task', 'queue', 'state', 'payload', 'priority', 'attempt', 'maxAttempts', 'createdAt', 'runAt',
    'startedAt', 'finishedAt', 'result', 'error', 'progress', 'parentId',
  ]

  const expectShape = (job: Job) => {
    for (const k of KEYS) expect(job, `key ${k}`).toHaveProperty(k)
    expect(typeof job.id).toBe('string')
    expect(typeof job.priority).toBe('number')
    expect(typeof job.attempt).toBe('number')
    expect(typeof job.maxAttempts).toBe('number')
    for (const k of ['createdAt', 'runAt'] as const) expect(job[k]).toMatch(ISO)
  }

  it('matches the SPEC shape for a succeeded job, a failed job and a child job', async () => {
    const project = makeProject({
      files: {
        'tasks/shape.ts': `import { task } from 'tqjs'
export const welcome = task('email.welcome', async (p: { to: string }, ctx) => {
  await ctx.enqueue('child', { from: ctx.id })
  return { sent: true, to: p.to }
}, { queue: 'emails', priority: 3, retries: 2, backoff: { type: 'fixed', delay: '10ms' } })
export const child = task('child', async (p: unknown) => ({ ok: true }))
export const bad = task('bad', async () => { throw new TypeError('no good') })
`,
      },
    })
    const a = await runTq(['enqueue', 'email.welcome', '{"to":"a@b.c"}'], { cwd: project.dir })
    expect(a.code, a.stderr).toBe(0)
    const b = await runTq(['enqueue', 'bad', '{"x":[1,2]}'], { cwd: project.dir })
    expect(b.code, b.stderr).toBe(0)
    const w = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: 40_000 })
    expect(w.code, w.stderr).toBe(0)

    const ok = await getJob(project.dir, a.stdout.trim())
    expectShape(ok)
    expect(ok).toMatchObject({
      id: a.stdout.trim(),
      task: 'email.welcome',
      queue: 'emails',
      state: 'succeeded',
      payload: { to: 'a@b.c' },
      priority: 3,
      attempt: 1,
      maxAttempts: 3,
      result: { sent: true, to: 'a@b.c' },
      error: null,
      parentId: null,
    })
    expect(ok.startedAt).toMatch(ISO)
    expect(ok.finishedAt).toMatch(ISO)
    expect(Date.parse(ok.createdAt)).toBeLessThanOrEqual(Date.parse(ok.startedAt!))
    expect(Date.parse(ok.startedAt!)).toBeLessThanOrEqual(Date.parse(ok.finishedAt!))

    const failed = await getJob(project.dir, b.stdout.trim())
    expectShape(failed)
    expect(failed).toMatchObject({ task: 'bad', queue: 'default', state: 'failed', payload: { x: [1, 2] }, priority: 0, result: null, parentId: null })
    expect(failed.maxAttempts).toBe(1)
    expect(failed.error).toMatchObject({ message: 'no good', name: 'TypeError' })
    expect(typeof failed.error!.stack).toBe('string')
    expect(failed.finishedAt).toMatch(ISO)

    const children = await listJobs(project.dir, ['--task', 'child'])
    expect(children).toHaveLength(1)
    const childJob = await getJob(project.dir, children[0]!.id)
    expectShape(childJob)
    expect(childJob).toMatchObject({ task: 'child', state: 'succeeded', parentId: ok.id, payload: { from: ok.id }, result: { ok: true } })
  })

  it('an unknown id is an error line, exit 1', async () => {
    const project = makeProject({
      files: { 'tasks/echo.ts': `import { task } from 'tqjs'\nexport const echo = task('echo', async (p: unknown) => p)\n` },
    })
    const seed = await runTq(['enqueue', 'echo', '{}'], { cwd: project.dir })
    expect(seed.code, seed.stderr).toBe(0)
    const r = await runTq(['job', '00000000-0000-0000-0000-000000000000', '--json'], { cwd: project.dir })
    expect(r.code).toBe(1)
    expect(r.stderr.split('\n').filter((l) => l.trim())).toEqual([expect.stringMatching(ERROR_LINE)])
    expect(r.stdout.trim()).toBe('')
  })
})
