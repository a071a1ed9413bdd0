// Isolation: with concurrency 8 and one task thread to start with, a 5 s CPU-bound job and 50
// quick async jobs enqueued right after it. Reported: the slowest quick job's enqueue-to-finish
// time while the CPU-bound one runs (target ≤ 1.5 s), read from the jobs' own timestamps.
import { makeProject, openSqlite, removeDir, spawnWorker, waitForOutput } from './helpers.js'

const TASKS = {
  cpu: `import { task } from 'tqjs'
export const cpu = task('cpu', async () => { const end = Date.now() + 5000; while (Date.now() < end) {} })
`,
  quick: `import { task } from 'tqjs'
export const quick = task('quick', async () => { await new Promise((r) => setTimeout(r, 5)) })
`,
}

export async function isolation({ log }) {
  const project = makeProject('isolation', TASKS)
  const w = spawnWorker(project.dir, ['--concurrency', '8', '--threads', '1', '--quiet'])
  try {
    await waitForOutput(w, 'tq worker')
    const broker = await openSqlite(project.dbFile)
    try {
      const now = Date.now()
      const job = (task) => ({ task, queue: 'default', payload: 'null', priority: 0, runAt: now, maxAttempts: 1 })
      const [cpu] = await broker.enqueue([job('cpu')])
      await broker.enqueue(Array.from({ length: 50 }, () => job('quick')))
      for (;;) {
        const done = await broker.listJobs({ task: 'quick', state: 'succeeded', limit: 100 })
        if (done.length === 50) {
          const slowest = Math.max(...done.map((j) => Date.parse(j.finishedAt) - Date.parse(j.createdAt)))
          const cpuJob = await broker.getJob(cpu.id)
          log(`  slowest quick job ${slowest} ms; the CPU-bound job was ${cpuJob.state} then`)
          return [{ name: 'isolation: slowest of 50 quick jobs beside a 5 s CPU-bound one', value: slowest, unit: 'ms', max: 1500, target: '≤ 1500 ms' }]
        }
        await broker.waitForChange(200)
      }
    } finally {
      await broker.close()
    }
  } finally {
    w.child.kill('SIGKILL')
    await w.exited
    removeDir(project.dir)
  }
}
