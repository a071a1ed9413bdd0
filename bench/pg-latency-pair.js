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
import { LATENCY_TASK, makeProject, percentile, removeDir } from './helpers.js'
import { cloneWorker, pairArgs, pairedSamples, spread, WARMUP } from './pair.js'
import { PG_BASE } from './pg-helpers.js'

const { beforeDir, afterDir, samples, rest } = pairArgs('pg-latency-pair.js', ' [query]')
const query = rest[0] ?? ''
const warmup = WARMUP

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
  // Each clone's own binary.
  const w = await cloneWorker(dir, project.dir, ['--broker', url])
  return { schema, project, broker, client: new Client(broker), w }
}

const sides = [await side(beforeDir), await side(afterDir)]
const ping = new pg.Client({ connectionString: PG_BASE })
await ping.connect()
let pings
try {
  pings = await pairedSamples(sides, { warmup, samples, probe: () => ping.query('SELECT 1') })
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
const [b, a] = sides
const p50 = (xs) => percentile([...xs].sort((x, y) => x - y), 50)
console.log(`${samples} samples each, alternated${query ? ` (?${query})` : ''}`)
console.log(`enqueue-to-start  before ${spread(b.start)} | after ${spread(a.start)} | after/before p50 ${(p50(a.start) / p50(b.start)).toFixed(2)}`)
console.log(`enqueue call      before ${spread(b.call)} | after ${spread(a.call)}`)
console.log(`SELECT 1          ${spread(pings)}`)
process.exit(0)
