/**
 * Fast recovery: the jobs of a worker that died (kill -9) are put back by a live worker's
 * heartbeat once the dead one has been silent for 8 s, not when their lease lapses. The lease
 * here is 120 s, so a job finishing within the wait below can only have come back by reaping.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, enqueueJob, getJob, killAll, makeProject, readLines, runTq, startTq, waitForFile, WORKER_BANNER } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

const TASKS = {
  'tasks/hold.ts': `import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
// A worker started with HOLD=1 never finishes it; any other worker does at once.
export const hold = task('hold', async (_p: unknown, ctx) => {
  appendFileSync(process.env.RAN_FILE!, process.pid + '\\n')
  if (process.env.HOLD === '1') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
  return { by: process.pid }
})
`,
}

describe('a worker killed outright', () => {
  it("has its running job put back by another worker's heartbeat, long before the lease lapses, with a log line naming it", async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', worker: { lease: '120s' } }` })
    const ran = project.path('ran.txt')
    const doomed = startTq(['worker'], { cwd: project.dir, env: { HOLD: '1', RAN_FILE: ran } })
    await doomed.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    const id = await enqueueJob(project.dir, 'hold', null)
    await waitForFile(ran, 60_000)
    const doomedPid = Number(readLines(ran)[0])

    const survivor = startTq(['worker'], { cwd: project.dir, env: { RAN_FILE: ran } })
    await survivor.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    doomed.kill('SIGKILL')

    await survivor.waitForOutput(new RegExp(`worker \\S+:${doomedPid} \\S+ stopped heartbeating; 1 running job\\(s\\) put back on the queue`), 90_000, 'stdout')
    await survivor.waitForOutput(/✓ hold/, 60_000, 'stdout')
    const job = await getJob(project.dir, id)
    expect(job.state).toBe('succeeded')
    expect(job.attempt).toBe(1)
    expect((job.result as { by: number }).by).not.toBe(doomedPid)
  })
})

describe('a second Ctrl-C', () => {
  it('puts the running job back on the queue before the worker exits, the attempt not counted', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: 'sqlite://.tq/tq.db', worker: { lease: '120s', shutdownGrace: '120s' } }` })
    const ran = project.path('ran.txt')
    const w = startTq(['worker'], { cwd: project.dir, env: { HOLD: '1', RAN_FILE: ran } })
    await w.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    const id = await enqueueJob(project.dir, 'hold', null)
    await waitForFile(ran, 60_000)
    w.kill('SIGINT')
    await w.waitForOutput(/stopping: finishing running jobs/, 30_000, 'stderr')
    w.kill('SIGINT')
    const exit = await w.waitExit(60_000)
    expect(exit.code).toBe(1)
    expect(w.stderr).toMatch(/exiting now; 1 running job\(s\) put back on the queue/)
    expect(await getJob(project.dir, id)).toMatchObject({ state: 'queued', attempt: 0 })
  })
})

describe('tq workers', () => {
  it('lists each worker with its queues, threads, running jobs, counts, memory and heartbeat, while jobs run', async () => {
    const project = makeProject({ files: TASKS })
    const ran = project.path('ran.txt')
    const w = startTq(['worker', '--concurrency', '3', '--threads', '2'], { cwd: project.dir, env: { HOLD: '1', RAN_FILE: ran } })
    await w.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    const id = await enqueueJob(project.dir, 'hold', null)
    await waitForFile(ran, 60_000)
    type View = { pid: number; alive: boolean; queues: string[]; threads: number; concurrency: number; done: number; failed: number; rssBytes: number; threadStates: { jobs: number; blocked: boolean; own: boolean }[]; running: string[]; jobs: { id: string; task: string }[] }
    let views: View[] = []
    await expect
      .poll(async () => {
        const r = await runTq(['workers', '--json'], { cwd: project.dir })
        views = JSON.parse(r.stdout) as View[]
        return views[0]?.jobs.map((j) => j.id) ?? []
      }, { timeout: 60_000, interval: 1000 })
      .toEqual([id])
    expect(views).toHaveLength(1)
    expect(views[0]).toMatchObject({ pid: w.proc.pid, alive: true, queues: ['default'], threads: 2, concurrency: 3, done: 0, failed: 0, jobs: [{ id, task: 'hold' }] })
    expect(views[0]!.rssBytes).toBeGreaterThan(10 * 1048576)
    expect(views[0]!.threadStates.map((t) => [t.jobs, t.blocked, t.own]).sort()).toEqual([[0, false, false], [1, false, false]])
    const text = await runTq(['workers'], { cwd: project.dir })
    expect(text.stdout).toMatch(/alive\s+default\s+2 \(1 busy\)\s+1\/3/)
    expect(text.stdout).toContain('▶ hold')
  })
})
