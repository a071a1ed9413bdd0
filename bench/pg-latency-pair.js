// Postgres enqueue-to-start of two built clones of tq, sample by sample: both idle workers run at
// once (each on its own schema, so its own NOTIFY channel) and the samples alternate between them,
// so on a loaded machine both see the same load at the same moments (bench/pg-latency.js
// alternates whole runs, which this machine's load swings across). Each sample enqueues one job
// (client.enqueue: the enqueue's durable commit is inside the figure, as in
// bench/peers/pg-vs-tq.js); the task returns how long after the enqueue call it started.
//   node bench/pg-latency-pair.js <before-clone> <after-clone> [samples per side, default 600] [query, e.g. synchronousCommit=off]
// Also: the enqueue call alone, and a bare SELECT 1 round trip interleaved (the server's pace).
import { resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { spawn } from 'node:child_process'
import { LATENCY_TASK, makeProject, percentile, removeDir, sleep, waitForOutput } from './helpers.js'
import { PG_BASE } from './pg-helpers.js'

const [beforeDir, afterDir, samplesArg = '600', query = ''] = process.argv.slice(2)
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/pg-latency-pair.js <before-clone> <after-clone> [samples per side] [query]')
  process.exit(2)
}
const samples = Number(samplesArg)
const warmup = 50

async function side(dir) {
  const project = makeProject('pg-latency-pair', { lat: LATENCY_TASK })
  const schema = `bench_pair_${randomBytes(4).toString('hex')}`
  const u = new URL(PG_BASE)
  u.searchParams.set('schema', schema)
  for (const kv of query.split('&').filter(Boolean)) u.searchParams.set(...kv.split('='))
  const url = u.toString()
  const { PostgresBroker } = await import(resolve(dir, 'dist/src/broker/postgres/postgres-broker.js'))
  const { Client } = await import(resolve(dir, 'dist/src/app/client.js'))
  const broker = await PostgresBroker.connect(url)
  // Each clone's own binary (helpers.js's spawnWorker runs this clone's).
  const child = spawn(resolve(dir, 'bin/run.js'), ['worker', '--quiet', '--broker', url], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const w = { child, stderr: () => out, exited: new Promise((r) => child.on('exit', r)) }
  await waitForOutput(w, 'tq worker')
  return { schema, project, broker, client: new Client(broker), w, start: [], enq: [] }
}

const sides = [await side(beforeDir), await side(afterDir)]
const ping = new pg.Client({ connectionString: PG_BASE })
await ping.connect()
const pings = []
try {
  for (let i = 0; i < warmup + samples; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      await sleep(2 + (i % 4))
      const t0 = process.hrtime.bigint()
      const handle = await s.client.enqueue('lat', { t: String(t0) })
      const e = Number(process.hrtime.bigint() - t0) / 1e6
      const ms = await handle.result({ timeout: '10s' })
      if (i >= warmup) s.start.push(ms), s.enq.push(e)
    }
    await sleep(2 + (i % 4))
    const t0 = process.hrtime.bigint()
    await ping.query('SELECT 1')
    if (i >= warmup) pings.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
} finally {
  for (const s of sides) {
    s.w.child.kill('SIGTERM')
    await s.w.exited
    await s.broker.close()
    removeDir(s.project.dir)
    await ping.query(`DROP SCHEMA IF EXISTS ${s.schema} CASCADE`)
  }
  await ping.end()
}
const f = (xs) => {
  const a = [...xs].sort((x, y) => x - y)
  return `p50 ${percentile(a, 50).toFixed(2)}  p90 ${percentile(a, 90).toFixed(2)}  p99 ${percentile(a, 99).toFixed(2)} ms`
}
const [b, a] = sides
const p50 = (xs) => percentile([...xs].sort((x, y) => x - y), 50)
console.log(`${samples} samples each, alternated${query ? ` (?${query})` : ''}`)
console.log(`enqueue-to-start  before ${f(b.start)} | after ${f(a.start)} | after/before p50 ${(p50(a.start) / p50(b.start)).toFixed(2)}`)
console.log(`enqueue call      before ${f(b.enq)} | after ${f(a.enq)}`)
console.log(`SELECT 1          ${f(pings)}`)
process.exit(0)
