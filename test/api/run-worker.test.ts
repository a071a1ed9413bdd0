import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, listJobs, makeProject, readLines, REPO_ROOT, runNode } from '../helpers/tq.js'

// runWorker()/runOnce(): a worker embedded in the user's own process (graphile-worker's run/runOnce).
const TQJS = JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)
const TASKS = {
  'tasks/record.ts': `
import { appendFileSync } from 'node:fs'
import { task } from 'tqjs'
export const record = task('record', async (p: { n: number }, ctx) => {
  appendFileSync(process.env.RAN_FILE!, p.n + '\\n')
  if (p.n === 1) await ctx.enqueue(record, { n: 100 })
  return { doubled: p.n * 2 }
})
`,
}

describe('programmatic workers', () => {
  afterAll(cleanupTemp)

  it('runOnce() from a script runs every ready job and those they enqueue, then resolves and the script exits', async () => {
    const project = makeProject({ files: TASKS })
    const script = project.path('once.mjs')
    writeFileSync(
      script,
      `import { connect, runOnce } from ${TQJS}
const tq = await connect()
await tq.enqueueMany('record', [{ n: 1 }, { n: 2 }, { n: 3 }])
await tq.close()
await runOnce({ concurrency: 2 })
console.log('done')
`,
    )
    const ran = project.path('ran.txt')
    const r = await runNode([script], { cwd: project.dir, env: { RAN_FILE: ran }, timeoutMs: 60_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe('done')
    expect(readLines(ran).map(Number).sort((a, b) => a - b)).toEqual([1, 2, 3, 100])
    const jobs = await listJobs(project.dir)
    expect(jobs.map((j) => j.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded'])
  })

  it('runWorker() runs until stop(), which lets it finish and close', async () => {
    const project = makeProject({ files: TASKS })
    const script = project.path('run.mjs')
    writeFileSync(
      script,
      `import { connect, runWorker } from ${TQJS}
const worker = await runWorker({ concurrency: 2 })
const tq = await connect()
const job = await tq.enqueue('record', { n: 21 })
console.log(JSON.stringify(await job.result({ timeout: '30s' })))
await tq.close()
await worker.stop()
await worker.stopped
console.log(worker.queues.join(','))
`,
    )
    const r = await runNode([script], { cwd: project.dir, env: { RAN_FILE: project.path('ran.txt') }, timeoutMs: 60_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(['{"doubled":42}', 'default'])
  })
})
