/**
 * Fencing after a pause: a worker stopped (SIGSTOP) long enough for another worker to reap it
 * has its job run again elsewhere; when it is let go on (SIGCONT) and its own attempt finishes,
 * that completion is refused, so the job keeps the result of the worker that holds the lease.
 * The lease is 120 s: the job can only come back early by reaping. Real `tq worker` processes,
 * on SQLite and on Redis.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, deleteRedisKeys, E2E_REDIS, enqueueJob, getJob, killAll, makeProject, readLines, redisPrefix, redisUrl, startTq, waitForFile, WORKER_BANNER } from '../helpers/tq.js'

const prefixes: string[] = []
afterEach(async () => {
  await killAll()
  for (const p of prefixes.splice(0)) await deleteRedisKeys(p)
})
afterAll(cleanupTemp)

const TASKS = {
  'tasks/hold.ts': `import { appendFileSync, existsSync } from 'node:fs'
import { task } from 'tqjs'
// A worker started with HOLD=1 finishes only once the file RELEASE exists, whatever its lease;
// any other worker finishes at once. The result names the process that ran it.
export const hold = task('hold', async () => {
  appendFileSync(process.env.RAN_FILE!, process.pid + '\\n')
  if (process.env.HOLD === '1') while (!existsSync(process.env.RELEASE!)) await new Promise((r) => setTimeout(r, 50))
  return { by: process.pid }
})
`,
}

const brokers = {
  sqlite: () => `'sqlite://.tq/tq.db'`,
  redis: () => {
    const prefix = redisPrefix()
    prefixes.push(prefix)
    return JSON.stringify(redisUrl({ prefix }, E2E_REDIS))
  },
}

describe.each(Object.keys(brokers) as (keyof typeof brokers)[])('a worker paused past recovery (%s)', (kind) => {
  it('has its job run by another worker; once resumed, its own completion is refused', async () => {
    const project = makeProject({ files: TASKS, config: `{ broker: ${brokers[kind]()}, worker: { lease: '120s' } }` })
    const ran = project.path('ran.txt')
    const release = project.path('release')
    const env = { RAN_FILE: ran, RELEASE: release }
    const paused = startTq(['worker'], { cwd: project.dir, env: { ...env, HOLD: '1' } })
    await paused.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    const id = await enqueueJob(project.dir, 'hold', null)
    await waitForFile(ran, 60_000)
    const pausedPid = Number(readLines(ran)[0])
    paused.kill('SIGSTOP')

    const live = startTq(['worker'], { cwd: project.dir, env })
    await live.waitForOutput(WORKER_BANNER, 60_000, 'stderr')
    await live.waitForOutput(new RegExp(`worker \\S+:${pausedPid} \\S+ stopped heartbeating; 1 running job\\(s\\) put back on the queue`), 90_000, 'stdout')
    await live.waitForOutput(/✓ hold/, 60_000, 'stdout')
    const done = await getJob(project.dir, id)
    expect(done.state).toBe('succeeded')
    const livePid = (done.result as { by: number }).by
    expect(livePid).not.toBe(pausedPid)

    // Let the paused worker go on: its attempt now ends, and the broker refuses what it reports.
    writeFileSync(release, '')
    expect(existsSync(release)).toBe(true)
    paused.kill('SIGCONT')
    await paused.waitForOutput(/! hold.* result ignored: its lease was no longer current/, 60_000, 'stdout')
    const after = await getJob(project.dir, id)
    expect(after).toMatchObject({ state: 'succeeded', attempt: done.attempt })
    expect((after.result as { by: number }).by).toBe(livePid)
    expect(readLines(ran).map(Number)).toEqual([pausedPid, livePid])
  })
})
