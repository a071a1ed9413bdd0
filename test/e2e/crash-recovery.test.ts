/**
 * Delivery under crashes and contention, with real processes on one SQLite file:
 * a worker killed with SIGKILL loses no job, and two workers never run one job twice.
 */
import { writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  CLI_POLL_MS,
  cleanupTemp,
  countStates,
  duplicates,
  killAll,
  listJobs,
  makeProject,
  readLines,
  runTq,
  startTq,
  waitUntil,
} from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length

describe('kill -9 of a worker mid-run', () => {
  it('every job still completes; only jobs in flight at the kill may run twice', async () => {
    const N = 200
    const CONCURRENCY = 5
    const project = makeProject({ config: `{ broker: 'sqlite://.tq/tq.db', worker: { lease: '2s' } }` })
    const out = project.path('ran.txt')
    project.write(
      'tasks/work.ts',
      `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const work = task('work', async (p: { n: number }) => {
  await new Promise((r) => setTimeout(r, 20 + (p.n % 4) * 10))
  appendFileSync(${JSON.stringify(out)}, p.n + '\\n')
  return p.n
})
`,
    )
    const batch = project.path('payloads.ndjson')
    writeFileSync(batch, Array.from({ length: N }, (_, n) => JSON.stringify({ n })).join('\n') + '\n')
    const enq = await runTq(['enqueue', 'work', '--batch', batch], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)
    expect(enq.stdout.trim()).toBe(String(N))

    // First worker: let it finish some jobs, then SIGKILL it while others are running.
    const first = startTq(['worker', '--concurrency', String(CONCURRENCY)], { cwd: project.dir })
    await first.waitFor((p) => count(p.stdout, / ✓ work /g) >= 20, '20 jobs succeeded', 30_000)
    first.kill('SIGKILL')
    const exit = await first.waitExit(10_000)
    expect(exit.signal).toBe('SIGKILL')

    const afterKill = countStates(await listJobs(project.dir))
    // The kill landed mid-run: some jobs done, some not.
    expect(afterKill.succeeded ?? 0).toBeGreaterThan(0)
    expect(afterKill.succeeded ?? 0).toBeLessThan(N)

    // Second worker (not burst: jobs under the dead worker's lease are not ready until it lapses).
    const second = startTq(['worker', '--concurrency', String(CONCURRENCY)], { cwd: project.dir })
    const final = await waitUntil(
      async () => {
        const jobs = await listJobs(project.dir)
        return jobs.length === N && jobs.every((j) => j.state === 'succeeded') ? jobs : false
      },
      `all ${N} jobs succeeded`,
      60_000,
      CLI_POLL_MS,
    )
    expect(final).toHaveLength(N)
    second.kill('SIGTERM')
    expect((await second.waitExit(20_000)).code).toBe(0)

    const lines = readLines(out)
    expect(new Set(lines)).toEqual(new Set(Array.from({ length: N }, (_, n) => String(n))))
    // At least once: a job may run again only if it was in flight when its worker died: running,
    // or finished with its outcome not yet committed (at most 2 x concurrency; README, Semantics).
    expect(duplicates(lines).length).toBeLessThanOrEqual(2 * CONCURRENCY)
    expect(new Set(final.map((j) => j.result))).toEqual(new Set(Array.from({ length: N }, (_, n) => n)))
  })
})

describe('two workers on one database', () => {
  it('500 jobs: each runs exactly once, and both workers take part', async () => {
    const N = 500
    const project = makeProject()
    const out = project.path('ran.txt')
    project.write(
      'tasks/work.ts',
      `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const work = task('work', async (p: { n: number }, ctx) => {
  await new Promise((r) => setTimeout(r, 10))
  appendFileSync(${JSON.stringify(out)}, ctx.id + '\\n')
  return p.n
})
`,
    )
    // Both workers up before any job exists, so they compete for the whole batch.
    const workers = [startTq(['worker', '--concurrency', '4'], { cwd: project.dir }), startTq(['worker', '--concurrency', '4'], { cwd: project.dir })]
    await Promise.all(workers.map((w) => w.waitForOutput(/tq worker .* on /, 30_000, 'stderr')))

    const batch = project.path('payloads.ndjson')
    writeFileSync(batch, Array.from({ length: N }, (_, n) => JSON.stringify({ n })).join('\n') + '\n')
    const enq = await runTq(['enqueue', 'work', '--batch', batch], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)
    expect(enq.stdout.trim()).toBe(String(N))

    const jobs = await waitUntil(
      async () => {
        const jobs = await listJobs(project.dir)
        return jobs.length === N && jobs.every((j) => j.state === 'succeeded') ? jobs : false
      },
      `all ${N} jobs succeeded`,
      60_000,
      CLI_POLL_MS,
    )
    for (const w of workers) w.kill('SIGTERM')
    for (const w of workers) expect((await w.waitExit(20_000)).code).toBe(0)

    const lines = readLines(out)
    expect(duplicates(lines)).toEqual([])
    expect(lines).toHaveLength(N)
    expect(new Set(lines)).toEqual(new Set(jobs.map((j) => j.id)))
    // Both processes ran jobs (otherwise this would not test contention).
    const perWorker = workers.map((w) => count(w.stdout, / ✓ work /g))
    expect(perWorker.every((n) => n > 0), `jobs per worker: ${perWorker}`).toBe(true)
    expect(perWorker.reduce((a, b) => a + b, 0)).toBe(N)
  })
})
