// Drain: N no-op jobs pre-enqueued, then one `tq worker --burst` process runs them all.
// Throughput excludes startup: first job's started_at to last job's finished_at, read from the
// database. Wall time (spawn to exit) and the worker's peak RSS are reported too.
import { createRequire } from 'node:module'
import { fmtInt, makeProject, newJob, NOOP_TASK, openSqlite, removeDir, sampleMemory, spawnWorker } from './helpers.js'

const Database = createRequire(import.meta.url)('better-sqlite3')

async function enqueueNoops(dbFile, n) {
  const broker = await openSqlite(dbFile)
  try {
    for (let i = 0; i < n; i += 1000) {
      const now = Date.now()
      await broker.enqueue(Array.from({ length: Math.min(1000, n - i) }, () => newJob('noop', '{}', now)))
    }
  } finally {
    await broker.close()
  }
}

function drainStats(dbFile) {
  const db = new Database(dbFile, { readonly: true })
  try {
    return db
      .prepare(`SELECT count(*) FILTER (WHERE state = 'succeeded') AS ok, count(*) AS total,
                       min(started_at) AS first, max(finished_at) AS last FROM jobs`)
      .get()
  } finally {
    db.close()
  }
}

/** One drain run; `extra` are more worker flags, `nodeArgs` flags for node (e.g. --cpu-prof). */
export async function drainOnce({ n, concurrency, extra = ['--quiet'], nodeArgs = [], keep = false }) {
  const project = makeProject('drain', { noop: NOOP_TASK })
  try {
    await enqueueNoops(project.dbFile, n)
    const t0 = process.hrtime.bigint()
    const w = spawnWorker(project.dir, ['--burst', '--concurrency', String(concurrency), ...extra], { nodeArgs })
    const mem = sampleMemory(w.child.pid)
    const code = await w.exited
    const wallS = Number(process.hrtime.bigint() - t0) / 1e9
    const { hwmMB, rssMB, cpuBetween } = mem.stop()
    if (code !== 0) throw new Error(`worker exited with ${code}: ${w.stderr()}`)
    const s = drainStats(project.dbFile)
    if (s.ok !== n) throw new Error(`only ${s.ok} of ${n} jobs succeeded (${s.total} in the database)`)
    const drainS = Math.max(1, s.last - s.first) / 1000
    // The worker process's CPU (all threads) while it drained, startup and exit left out.
    const cpuS = cpuBetween(s.first, s.last)
    return { concurrency, drainRate: n / drainS, drainS, wallS, wallRate: n / wallS, hwmMB, rssMB, cpuS, cpuPerJobUs: (cpuS / n) * 1e6, dir: keep ? project.dir : undefined }
  } finally {
    if (!keep) removeDir(project.dir)
  }
}

export async function drain({ quick, log }) {
  const n = quick ? 10_000 : 50_000
  const levels = quick ? [100] : [50, 100, 200, 500]
  const runs = []
  for (const concurrency of levels) {
    const r = await drainOnce({ n, concurrency })
    log(`  drain c=${concurrency}: ${fmtInt(r.drainRate)} jobs/s (${r.drainS.toFixed(2)} s draining, ${r.wallS.toFixed(2)} s wall incl. startup), peak RSS ${r.hwmMB.toFixed(0)} MB`)
    runs.push(r)
  }
  const best = runs.reduce((a, b) => (b.drainRate > a.drainRate ? b : a))
  const all = runs.map((r) => `c=${r.concurrency}: ${fmtInt(r.drainRate)}`).join(', ')
  const maxRss = Math.max(...runs.map((r) => r.hwmMB))
  const rows = []
  if (!quick) {
    // What users see by default: the worker logs a line per job start and end (to a pipe here).
    const logged = await drainOnce({ n, concurrency: best.concurrency, extra: [] })
    log(`  drain c=${best.concurrency} with per-job logging: ${fmtInt(logged.drainRate)} jobs/s`)
    rows.push({ name: `  same, default per-job logging on (no --quiet)`, unit: 'jobs/s', value: logged.drainRate, target: '' })
  }
  return [
    { name: `drain ${fmtInt(n)} no-op jobs, 1 worker, best concurrency`, unit: 'jobs/s', value: best.drainRate, target: '>= 50,000 jobs/s', min: 50_000, detail: ` (${all})` },
    { name: `  same, wall time incl. worker startup (c=${best.concurrency})`, unit: 'jobs/s', value: best.wallRate, target: '', detail: ` (${best.wallS.toFixed(2)} s)` },
    ...rows,
    { name: `worker peak RSS during drain (VmHWM)`, unit: 'MB', value: maxRss, target: '<= 150 MB', max: 150, detail: ` (max over runs; ${runs.map((r) => `c=${r.concurrency}: ${r.hwmMB.toFixed(0)}`).join(', ')})` },
  ]
}
