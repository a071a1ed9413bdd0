// The Postgres broker's own cost per job, before/after, alternated: 50,000 jobs enqueued into a
// fresh schema, then claimed and settled in batches (claim B, settle B, repeat) by this process
// alone, with no worker threads: client CPU µs per job (this process), Postgres CPU µs per job
// (every postgres process) and jobs/s. Isolates the client path that a worker's drain pays.
//   node bench/pg-broker-ab.js <before-clone> <after-clone> [rounds] [batch]
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { PG_BASE, postgresCpu } from './pg-helpers.js'

const [beforeDir, afterDir, roundsArg = '5', batchArg = '250'] = process.argv.slice(2)
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/pg-broker-ab.js <before-clone> <after-clone> [rounds] [batch]')
  process.exit(2)
}
const BASE = PG_BASE
const N = 50_000
const B = Number(batchArg)

const cpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

async function once(root) {
  const schema = `bench_bab_${randomBytes(4).toString('hex')}`
  const u = new URL(BASE)
  u.searchParams.set('schema', schema)
  const { PostgresBroker } = await import(join(root, 'dist/src/broker/postgres/postgres-broker.js'))
  const broker = await PostgresBroker.connect(u.toString())
  try {
    const e0 = cpu()
    const t0 = performance.now()
    for (let i = 0; i < N; i += 1000) {
      const now = Date.now()
      await broker.enqueue(Array.from({ length: 1000 }, () => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 })))
    }
    const enqS = (performance.now() - t0) / 1000
    const enqCpu = cpu() - e0
    const c0 = cpu()
    const p0 = postgresCpu()
    const t1 = performance.now()
    let done = 0
    let claimMs = 0
    let settleMs = 0
    for (;;) {
      const ta = performance.now()
      const { jobs } = await broker.claim({ workerId: 'ab', queues: ['default'], limit: B, leaseMs: 30_000 })
      const tb = performance.now()
      claimMs += tb - ta
      if (jobs.length === 0) break
      const ok = await broker.settle(jobs.map((j) => ({ id: j.id, token: j.token, kind: 'succeeded', result: undefined })))
      settleMs += performance.now() - tb
      done += ok.filter(Boolean).length
    }
    if (done !== N) throw new Error(`settled ${done} of ${N}`)
    const s = (performance.now() - t1) / 1000
    return { claimUs: (claimMs * 1000) / N, settleUs: (settleMs * 1000) / N, rate: N / s, clientUs: ((cpu() - c0) / N) * 1e6, pgUs: ((postgresCpu() - p0) / N) * 1e6, bulk: N / enqS, enqUs: (enqCpu / N) * 1e6 }
  } finally {
    await broker.close()
    const c = new pg.Client({ connectionString: BASE })
    await c.connect()
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await c.end()
  }
}

const sides = { before: resolve(beforeDir), after: resolve(afterDir) }
const out = { before: [], after: [] }
for (let r = 0; r < Number(roundsArg); r++) {
  for (const side of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    const x = await once(sides[side])
    out[side].push(x)
    console.error(`${side}: claim+settle ${Math.round(x.rate)} jobs/s (claim ${x.claimUs.toFixed(1)}, settle ${x.settleUs.toFixed(1)} µs/job wall), client ${x.clientUs.toFixed(1)} µs/job, postgres ${x.pgUs.toFixed(1)} µs/job; enqueue ${Math.round(x.bulk)} jobs/s, client ${x.enqUs.toFixed(1)} µs/job`)
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
for (const side of ['before', 'after']) {
  const a = out[side]
  console.log(`${side.padEnd(6)} median claim+settle ${Math.round(med(a.map((x) => x.rate)))} jobs/s (claim ${med(a.map((x) => x.claimUs)).toFixed(1)}, settle ${med(a.map((x) => x.settleUs)).toFixed(1)} µs/job wall), client ${med(a.map((x) => x.clientUs)).toFixed(1)} µs/job, postgres ${med(a.map((x) => x.pgUs)).toFixed(1)} µs/job; enqueue ${Math.round(med(a.map((x) => x.bulk)))} jobs/s, client ${med(a.map((x) => x.enqUs)).toFixed(1)} µs/job`)
}
process.exit(0)
