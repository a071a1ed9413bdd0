// Postgres drain before/after, alternated: 50,000 no-op jobs enqueued into a fresh schema, then one
// `tq worker --burst` of each built clone drains them; sides alternate (the first flips each round).
//   node bench/pg-ab.js <before-clone> <after-clone> [rounds] [concurrency]
// Reports jobs/s (database clock: first start to last finish), the worker process's CPU µs per job
// (its reaped user + system time, threads included) and Postgres's (every postgres process).
// TQ_BENCH_POSTGRES_URL: default postgres://postgres@127.0.0.1:5432/tq_test. PG_AB_PROF=dir adds
// --cpu-prof (profiles written to dir) to the after side's worker.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { childrenCpu, PG_BASE, postgresCpu } from './pg-helpers.js'

const [beforeDir, afterDir, roundsArg = '3', concArg = '500'] = process.argv.slice(2)
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/pg-ab.js <before-clone> <after-clone> [rounds] [concurrency]')
  process.exit(2)
}
const BASE = PG_BASE
const N = Number(process.env.PG_AB_N ?? 50_000)

async function sql(text) {
  const c = new pg.Client({ connectionString: BASE })
  await c.connect()
  try {
    return (await c.query(text)).rows
  } finally {
    await c.end()
  }
}

async function drain(root, side) {
  const schema = `bench_ab_${randomBytes(4).toString('hex')}`
  const u = new URL(BASE)
  u.searchParams.set('schema', schema)
  const url = u.toString()
  const dir = mkdtempSync(join(tmpdir(), 'tq-pg-ab-'))
  try {
    writeFileSync(join(dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
    mkdirSync(join(dir, 'tasks'))
    writeFileSync(join(dir, 'tasks', 'noop.ts'), `import { task } from 'tqjs'\nexport const noop = task('noop', async () => {})\n`)
    const { PostgresBroker } = await import(join(root, 'dist/src/broker/postgres/postgres-broker.js'))
    const broker = await PostgresBroker.connect(url)
    const t0 = performance.now()
    for (let i = 0; i < N; i += 1000) {
      const now = Date.now()
      await broker.enqueue(Array.from({ length: Math.min(1000, N - i) }, () => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 })))
    }
    const bulk = N / ((performance.now() - t0) / 1000)
    await broker.close()
    const prof = process.env.PG_AB_PROF && side === 'after' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PG_AB_PROF}`] : []
    const x0 = (await sql(`SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database WHERE datname = current_database()`))[0].n
    const pg0 = postgresCpu()
    const w0 = childrenCpu()
    const s0 = childrenCpu({ system: true })
    const child = spawn(process.execPath, ['--max-semi-space-size=4', ...prof, join(root, 'bin/run.js'), 'worker', '--burst', '--quiet', '--concurrency', concArg, '--broker', url], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const code = await new Promise((r) => child.on('exit', (c) => r(c)))
    if (code !== 0) throw new Error(`worker exited ${code}: ${err}`)
    const workerCpu = childrenCpu() - w0
    const workerSys = childrenCpu({ system: true }) - s0
    const pgCpu = postgresCpu() - pg0
    // Backends report their counts when idle, up to 1 s late (PostgreSQL 15: stats flushed at most every second when busy).
    await new Promise((r) => setTimeout(r, 1200))
    const xacts = (await sql(`SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database WHERE datname = current_database()`))[0].n - x0
    const [s] = await sql(`SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS ok, min(started_at)::float8 AS first, max(finished_at)::float8 AS last FROM ${schema}.jobs`)
    if (s.ok !== N) throw new Error(`only ${s.ok} of ${N} succeeded`)
    return { rate: N / (Math.max(1, s.last - s.first) / 1000), workerUs: (workerCpu / N) * 1e6, pgUs: (pgCpu / N) * 1e6, bulk, xacts, sysUs: (workerSys / N) * 1e6 }
  } finally {
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

const sides = { before: resolve(beforeDir), after: resolve(afterDir) }
const out = { before: [], after: [] }
for (let r = 0; r < Number(roundsArg); r++) {
  const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before']
  for (const side of order) {
    const x = await drain(sides[side], side)
    out[side].push(x)
    console.error(`${side}: ${Math.round(x.rate)} jobs/s, worker ${x.workerUs.toFixed(1)} µs/job (sys ${x.sysUs.toFixed(1)}), postgres ${x.pgUs.toFixed(1)} µs/job, bulk ${Math.round(x.bulk)} jobs/s, ${x.xacts} transactions`)
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
for (const side of ['before', 'after']) {
  const a = out[side]
  console.log(`${side.padEnd(6)} median ${Math.round(med(a.map((x) => x.rate)))} jobs/s, worker ${med(a.map((x) => x.workerUs)).toFixed(1)} µs/job, postgres ${med(a.map((x) => x.pgUs)).toFixed(1)} µs/job, bulk ${Math.round(med(a.map((x) => x.bulk)))} jobs/s`)
}
process.exit(0)
