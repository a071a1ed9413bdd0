// Fast recovery: two worker processes; one holds 20 running jobs and is killed with kill -9.
// Reported: the time from the kill until the last of those jobs has started again on the other
// worker (read from the jobs' own start times), target <= 10 s (the lease is 120 s, so only the
// survivor's heartbeat reaping the dead worker can bring them back that soon). SQLite and Redis.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { dist, makeProject, openSqlite, removeDir, spawnWorker, waitForOutput } from './helpers.js'
import { deletePrefix, newPrefix } from './redis.js'

const JOBS = 20
const TASKS = {
  hold: `import { task } from 'tqjs'
// A worker started with HOLD=1 never finishes it; the other worker does at once.
export const hold = task('hold', async (_p: unknown, ctx) => {
  if (process.env.HOLD === '1') await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
})
`,
}

/** Spawns a worker with HOLD set as given (the child copies the environment when spawned). */
function worker(dir, hold, extra) {
  const before = process.env.HOLD
  process.env.HOLD = hold ? '1' : '0'
  try {
    return spawnWorker(dir, ['--concurrency', String(JOBS), '--quiet', ...extra])
  } finally {
    if (before === undefined) delete process.env.HOLD
    else process.env.HOLD = before
  }
}

async function recoverOnce(broker, dir, extra) {
  const doomed = worker(dir, true, extra)
  let survivor
  try {
    await waitForOutput(doomed, 'tq worker', 60_000)
    const now = Date.now()
    const made = await broker.enqueue(Array.from({ length: JOBS }, () => ({ task: 'hold', queue: 'default', payload: 'null', priority: 0, runAt: now, maxAttempts: 3 })))
    const ids = made.map((m) => m.id)
    // Every job running on the doomed worker before the survivor starts claiming.
    for (;;) {
      const jobs = await Promise.all(ids.map((id) => broker.getJob(id)))
      if (jobs.every((j) => j.state === 'active')) break
      await broker.waitForChange(100)
    }
    survivor = worker(dir, false, extra)
    await waitForOutput(survivor, 'tq worker', 60_000)
    const killedAt = Date.now()
    doomed.child.kill('SIGKILL')
    for (;;) {
      const jobs = await Promise.all(ids.map((id) => broker.getJob(id)))
      if (jobs.every((j) => j.state === 'succeeded')) return (Math.max(...jobs.map((j) => Date.parse(j.startedAt))) - killedAt) / 1000
      await broker.waitForChange(250)
    }
  } finally {
    const workers = survivor ? [doomed, survivor] : [doomed]
    for (const w of workers) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exited))
  }
}

export async function recovery({ log }) {
  const rows = []
  const project = makeProject('recovery', TASKS)
  // A lease far longer than the target: jobs can only come back that soon by reaping.
  writeFileSync(join(project.dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db', worker: { lease: '120s' } })\n`)
  try {
    const sqlite = await openSqlite(project.dbFile)
    try {
      const s = await recoverOnce(sqlite, project.dir, [])
      log(`  SQLite: every job back and started ${s.toFixed(1)} s after the kill`)
      rows.push({ name: `recovery after kill -9, SQLite: ${JOBS} jobs started elsewhere`, value: s, decimals: 1, unit: 's', max: 10, target: '≤ 10 s' })
    } finally {
      await sqlite.close()
    }
    const { prefix, url } = newPrefix()
    const { RedisBroker } = await dist('src/broker/redis/redis-broker.js')
    const redis = await RedisBroker.connect(url)
    try {
      const s = await recoverOnce(redis, project.dir, ['--broker', url])
      log(`  Redis: every job back and started ${s.toFixed(1)} s after the kill`)
      rows.push({ name: `recovery after kill -9, Redis: ${JOBS} jobs started elsewhere`, value: s, decimals: 1, unit: 's', max: 10, target: '≤ 10 s' })
    } finally {
      await redis.close()
      await deletePrefix(prefix)
    }
  } finally {
    removeDir(project.dir)
  }
  return rows
}
