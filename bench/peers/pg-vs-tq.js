// tq on postgres:// beside graphile-worker 0.17 and pg-boss 10 on the same PostgreSQL, in one run:
//   (cd bench/peers && npm install) && npm run build && node bench/peers/pg-vs-tq.js [rounds] [jobs]
// Postgres: TQ_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/tq_test. Every run uses
// its own schema (tq's, graphile-worker's, pg-boss's), dropped afterwards.
//
// Cases, alternated per round (this machine's speed drifts): a drain of N no-op jobs by one worker
// (tq: `tq worker --burst` in its own process; the peers in this process), bulk enqueue in batches
// of 1000, enqueue-to-start latency on an idle worker, and what an idle worker costs the database
// (transactions per second from pg_stat_database). CPU per job: the worker's own CPU (the tq worker
// process's, from this process's reaped-children times; the peers' from process.cpuUsage) and
// Postgres's (utime+stime of every postgres process, plus the postmaster's reaped children).
//
// Each peer in its fastest documented setting:
//   graphile-worker: concurrentJobs 50, localQueue { size: 500 } (batch fetching) and
//     completeJobBatchDelay 0 (batched completion), jobs added with addJobs() (one statement per batch).
//   pg-boss: insert() of 1000 jobs (one statement), work() with batchSize 500 and the minimum
//     polling interval (0.5 s), two work() loops (v10 has no teamSize), jobs completed by batch.
//   BullMQ 6.7 with its PostgreSQL backend (createPostgresBackend): Worker concurrency 50 and
//     removeOnComplete (its fastest Redis setting, as in bullmq-vs-tq.js), jobs added with addBulk().
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { run, makeWorkerUtils } from 'graphile-worker'
import PgBoss from 'pg-boss'
import { Queue, Worker, createPostgresBackend } from 'bullmq'
import { childrenCpu, PG_BASE, postgresCpu } from '../pg-helpers.js'
import { dist, LATENCY_TASK, makeProject, median, NOOP_TASK, percentile, removeDir, sleep, spawnWorker, waitForOutput } from '../helpers.js'

const BASE = PG_BASE
const rounds = Number(process.argv[2] ?? 1)
const N = Number(process.argv[3] ?? 50_000)
const BATCH = 1000

// ---- schemas, dropped afterwards (also when a case fails) ----
const schemas = new Set()
function newSchema(label) {
  const s = `bench_${label}_${randomBytes(4).toString('hex')}`
  schemas.add(s)
  return s
}
async function sql(text, params = []) {
  const c = new pg.Client({ connectionString: BASE })
  await c.connect()
  try {
    return (await c.query(text, params)).rows
  } finally {
    await c.end()
  }
}
async function dropSchemas() {
  for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined)
  schemas.clear()
}
const urlWith = (query) => {
  const u = new URL(BASE)
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
  return u.toString()
}

// ---- CPU ----
const selfCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

// ---- tq ----
async function tqBroker(url) {
  const { PostgresBroker } = await dist('src/broker/postgres/postgres-broker.js')
  return PostgresBroker.connect(url)
}
const noop = (now) => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 })

async function tqBulk() {
  const url = urlWith({ schema: newSchema('tq') })
  const broker = await tqBroker(url)
  try {
    const t0 = performance.now()
    for (let i = 0; i < N; i += BATCH) await broker.enqueue(Array.from({ length: Math.min(BATCH, N - i) }, () => noop(Date.now())))
    return N / ((performance.now() - t0) / 1000)
  } finally {
    await broker.close()
  }
}

async function tqDrain(concurrency) {
  const schema = newSchema('tq')
  const url = urlWith({ schema })
  const project = makeProject('pg-drain', { noop: NOOP_TASK })
  const broker = await tqBroker(url)
  try {
    for (let i = 0; i < N; i += BATCH) await broker.enqueue(Array.from({ length: Math.min(BATCH, N - i) }, () => noop(Date.now())))
    const pg0 = postgresCpu()
    const w0 = childrenCpu()
    const t0 = performance.now()
    const w = spawnWorker(project.dir, ['--burst', '--quiet', '--concurrency', String(concurrency), '--broker', url])
    const code = await w.exited
    const wallS = (performance.now() - t0) / 1000
    if (code !== 0) throw new Error(`tq worker exited with ${code}: ${w.stderr()}`)
    const workerCpu = childrenCpu() - w0
    const pgCpu = postgresCpu() - pg0
    const [s] = await sql(`SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS ok, min(started_at)::float8 AS first, max(finished_at)::float8 AS last FROM ${schema}.jobs`)
    if (s.ok !== N) throw new Error(`tq: only ${s.ok} of ${N} succeeded`)
    // Drain time by the database's clock: first start to last finish (the worker's start-up, ~0.3 s, is outside).
    const drainS = Math.max(1, s.last - s.first) / 1000
    return { rate: N / drainS, wallS, workerCpu, pgCpu }
  } finally {
    await broker.close()
    removeDir(project.dir)
  }
}

// ---- graphile-worker ----
function graphilePreset(schema, extra = {}) {
  return { worker: { connectionString: BASE, schema, concurrentJobs: 50, maxPoolSize: 12, pollInterval: 2000, localQueue: { size: 500 }, completeJobBatchDelay: 0, ...extra } }
}
async function graphileAdd(schema, utils) {
  const t0 = performance.now()
  for (let i = 0; i < N; i += BATCH) await utils.addJobs(Array.from({ length: Math.min(BATCH, N - i) }, () => ({ identifier: 'noop', payload: {} })))
  return N / ((performance.now() - t0) / 1000)
}
async function graphileUtils(schema) {
  const utils = await makeWorkerUtils({ connectionString: BASE, schema })
  await utils.migrate()
  return utils
}
async function graphileBulk() {
  const schema = newSchema('gw')
  const utils = await graphileUtils(schema)
  try {
    return await graphileAdd(schema, utils)
  } finally {
    await utils.release()
  }
}
async function graphileDrain() {
  const schema = newSchema('gw')
  const utils = await graphileUtils(schema)
  await graphileAdd(schema, utils)
  await utils.release()
  let done = 0
  let finish
  const finished = new Promise((r) => (finish = r))
  const pg0 = postgresCpu()
  const c0 = selfCpu()
  const t0 = performance.now()
  const runner = await run({
    noHandleSignals: true,
    logger: quietLogger(),
    preset: graphilePreset(schema),
    taskList: { noop: async () => { if (++done === N) finish() } },
  })
  await finished
  // Completions are batched: wait until the table is empty (graphile-worker deletes finished jobs).
  while ((await sql(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`))[0].n > 0) await sleep(5)
  const wallS = (performance.now() - t0) / 1000
  const workerCpu = selfCpu() - c0
  const pgCpu = postgresCpu() - pg0
  await runner.stop()
  return { rate: N / wallS, wallS, workerCpu, pgCpu }
}
function quietLogger() {
  // graphile-worker's Logger: a factory of scoped log functions; this one prints errors only.
  return { scope: () => quietLogger(), _scope: {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), metaFactory: () => ({}), logFactory: () => () => {} }
}

// ---- pg-boss ----
async function bossStart(schema) {
  const boss = new PgBoss({ connectionString: BASE, schema, max: 10, supervise: false, schedule: false })
  boss.on('error', (e) => console.error('pg-boss:', e.message))
  await boss.start()
  await boss.createQueue('noop')
  return boss
}
async function bossAdd(boss) {
  const t0 = performance.now()
  for (let i = 0; i < N; i += BATCH) await boss.insert(Array.from({ length: Math.min(BATCH, N - i) }, () => ({ name: 'noop', data: {} })))
  return N / ((performance.now() - t0) / 1000)
}
async function bossBulk() {
  const boss = await bossStart(newSchema('boss'))
  try {
    return await bossAdd(boss)
  } finally {
    await boss.stop({ graceful: false, wait: true })
  }
}
async function bossDrain() {
  const schema = newSchema('boss')
  const boss = await bossStart(schema)
  await bossAdd(boss)
  let done = 0
  let finish
  const finished = new Promise((r) => (finish = r))
  const pg0 = postgresCpu()
  const c0 = selfCpu()
  const t0 = performance.now()
  for (let i = 0; i < 2; i++) {
    await boss.work('noop', { batchSize: 500, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      done += jobs.length
      if (done >= N) setImmediate(finish)
    })
  }
  await finished
  // The last batch's completion is written after the handler returns.
  while ((await sql(`SELECT count(*)::int AS n FROM ${schema}.job WHERE state <> 'completed'`))[0].n > 0) await sleep(5)
  const wallS = (performance.now() - t0) / 1000
  const workerCpu = selfCpu() - c0
  const pgCpu = postgresCpu() - pg0
  await boss.stop({ graceful: false, wait: true })
  return { rate: N / wallS, wallS, workerCpu, pgCpu }
}

// ---- BullMQ, PostgreSQL backend ----
const bullConnection = (schema) => ({ connectionString: BASE, schema, migrate: true })
async function bullAdd(queue, opts = {}) {
  const t0 = performance.now()
  for (let i = 0; i < N; i += BATCH) await queue.addBulk(Array.from({ length: Math.min(BATCH, N - i) }, () => ({ name: 'noop', data: {}, opts })))
  return N / ((performance.now() - t0) / 1000)
}
async function bullBulk() {
  const queue = new Queue('noop', { connection: bullConnection(newSchema('bull')) }, createPostgresBackend)
  try {
    return await bullAdd(queue)
  } finally {
    await queue.close()
  }
}
/** BullMQ's Postgres worker commits each job on its own (a few hundred a second here): a smaller drain keeps the run short. */
const BULL_N = Math.min(N, 10_000)
async function bullDrain() {
  const schema = newSchema('bull')
  const queue = new Queue('noop', { connection: bullConnection(schema) }, createPostgresBackend)
  for (let i = 0; i < BULL_N; i += BATCH) await queue.addBulk(Array.from({ length: Math.min(BATCH, BULL_N - i) }, () => ({ name: 'noop', data: {}, opts: { removeOnComplete: true } })))
  let done = 0
  const pg0 = postgresCpu()
  const c0 = selfCpu()
  const t0 = performance.now()
  let worker
  await new Promise((resolve) => {
    worker = new Worker('noop', async () => {}, { connection: bullConnection(schema), concurrency: 50 }, createPostgresBackend)
    worker.on('completed', () => ++done === BULL_N && resolve())
    worker.on('error', (e) => console.error('bullmq:', e.message))
  })
  const wallS = (performance.now() - t0) / 1000
  const workerCpu = selfCpu() - c0
  const pgCpu = postgresCpu() - pg0
  await worker.close()
  await queue.close()
  // CPU per job is computed over N by the caller: scale to this drain's size.
  return { rate: BULL_N / wallS, wallS, workerCpu: (workerCpu * N) / BULL_N, pgCpu: (pgCpu * N) / BULL_N, n: BULL_N }
}

// ---- latency and idle cost ----
async function xacts() {
  const [r] = await sql(`SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database WHERE datname = current_database()`)
  return r.n
}
/**
 * Transactions per second the database sees while `seconds` pass, minus the probe's own. Backends
 * report their counts to pg_stat_database up to 10 s late when they go idle (PostgreSQL 15), so the
 * window opens 11 s after the busy part ended: what is counted is the idle worker alone.
 */
async function idleRate(seconds) {
  await sleep(11_000)
  const a = await xacts()
  await sleep(seconds * 1000)
  const b = await xacts()
  if (process.env.TQ_BENCH_DEBUG) {
    const seen = new Map()
    const c = new pg.Client({ connectionString: BASE })
    await c.connect()
    for (let i = 0; i < 150; i++) {
      for (const r of (await c.query(`SELECT pid, application_name AS app, left(query, 50) AS q, query_start::text AS t FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).rows) seen.set(`${r.pid}|${r.t}`, `${r.app} ${r.q}`)
      await sleep(20)
    }
    await c.end()
    const tally = {}
    for (const v of seen.values()) tally[v] = (tally[v] ?? 0) + 1
    console.error(tally)
  }
  // Each probe (one query on its own connection) commits one transaction of its own.
  return (b - a - 1) / seconds
}

async function tqLatencyAndIdle(samples, idleSeconds, query = {}) {
  const url = urlWith({ schema: newSchema('tq'), ...query })
  const project = makeProject('pg-latency', { lat: LATENCY_TASK })
  const broker = await tqBroker(url)
  const { Client } = await dist('src/app/client.js')
  const w = spawnWorker(project.dir, ['--quiet', '--broker', url])
  try {
    await waitForOutput(w, 'tq worker')
    const client = new Client(broker)
    const lat = []
    for (let i = 0; i < samples + 30; i++) {
      await sleep(2 + (i % 4))
      const t0 = process.hrtime.bigint()
      const handle = await client.enqueue('lat', { t: String(t0) })
      const ms = await handle.result({ timeout: '10s' })
      if (i >= 30) lat.push(ms)
    }
    lat.sort((a, b) => a - b)
    const idle = idleSeconds > 0 ? await idleRate(idleSeconds) : NaN
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), idle }
  } finally {
    w.child.kill('SIGTERM')
    await w.exited
    await broker.close()
    removeDir(project.dir)
  }
}

async function graphileLatencyAndIdle(samples, idleSeconds) {
  const schema = newSchema('gw')
  const utils = await graphileUtils(schema)
  const waiters = new Map()
  const runner = await run({
    noHandleSignals: true,
    logger: quietLogger(),
    // Latency: graphile-worker's documented low-latency setting is LISTEN/NOTIFY (always on), no local queue.
    preset: graphilePreset(schema, { localQueue: undefined, completeJobBatchDelay: -1 }),
    taskList: { lat: async (p) => waiters.get(p.i)?.(Number(process.hrtime.bigint() - BigInt(p.t)) / 1e6) },
  })
  try {
    const lat = []
    for (let i = 0; i < samples + 30; i++) {
      await sleep(2 + (i % 4))
      const got = new Promise((r) => waiters.set(i, r))
      await utils.addJob('lat', { i, t: String(process.hrtime.bigint()) })
      const ms = await got
      if (i >= 30) lat.push(ms)
    }
    lat.sort((a, b) => a - b)
    const idle = await idleRate(idleSeconds)
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), idle }
  } finally {
    await runner.stop()
    await utils.release()
  }
}

async function bossLatencyAndIdle(samples, idleSeconds) {
  const boss = await bossStart(newSchema('boss'))
  const waiters = new Map()
  await boss.work('noop', { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => waiters.get(job.data.i)?.(Number(process.hrtime.bigint() - BigInt(job.data.t)) / 1e6))
  try {
    const lat = []
    // pg-boss polls (no LISTEN): a start waits for the next poll, up to 0.5 s; fewer samples.
    const n = Math.min(samples, 60)
    for (let i = 0; i < n + 5; i++) {
      await sleep(2 + (i % 4))
      const got = new Promise((r) => waiters.set(i, r))
      await boss.send('noop', { i, t: String(process.hrtime.bigint()) })
      const ms = await got
      if (i >= 5) lat.push(ms)
    }
    lat.sort((a, b) => a - b)
    const idle = await idleRate(idleSeconds)
    return { p50: percentile(lat, 50), p99: percentile(lat, 99), idle }
  } finally {
    await boss.stop({ graceful: false, wait: true })
  }
}

// ---- the run ----
const rows = {}
const push = (k, v) => (rows[k] ??= []).push(v)
const fmt = (n) => Math.round(n).toLocaleString('en-US')
try {
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of [['graphile-worker', graphileDrain], ['pg-boss', bossDrain], ['BullMQ pg', bullDrain], ['tq c=50', () => tqDrain(50)], ['tq c=500', () => tqDrain(500)]]) {
      const d = await fn()
      push(`drain ${name}`, d)
      console.error(`  drain ${name}: ${fmt(d.rate)} jobs/s (${d.wallS.toFixed(2)} s wall), worker CPU ${((d.workerCpu / N) * 1e6).toFixed(0)} µs/job, Postgres CPU ${((d.pgCpu / N) * 1e6).toFixed(0)} µs/job`)
      await dropSchemas()
    }
    for (const [name, fn] of [['graphile-worker addJobs', graphileBulk], ['pg-boss insert', bossBulk], ['BullMQ pg addBulk', bullBulk], ['tq enqueue', tqBulk]]) {
      const rate = await fn()
      push(`bulk ${name}`, { rate })
      console.error(`  bulk ${name}: ${fmt(rate)} jobs/s`)
      await dropSchemas()
    }
    console.error(`round ${r + 1} done`)
  }
  if (process.env.TQ_BENCH_DEBUG) console.error('baseline idle', await idleRate(5))
  const lat = {}
  const tqAsync = (samples) => tqLatencyAndIdle(samples, 0, { synchronousCommit: 'off' })
  for (const [name, fn] of [['tq', tqLatencyAndIdle], ['tq, synchronousCommit=off', tqAsync], ['graphile-worker', graphileLatencyAndIdle], ['pg-boss', bossLatencyAndIdle]]) {
    lat[name] = await fn(200, 10)
    await dropSchemas()
  }

  const med = (k, f = 'rate') => median(rows[k].map((x) => x[f]))
  console.log(`\n${N.toLocaleString('en-US')} no-op jobs, ${rounds} round(s), medians; Postgres at ${new URL(BASE).host}`)
  console.log(`case                              jobs/s   worker CPU µs/job   Postgres CPU µs/job   (BullMQ's drain: ${BULL_N.toLocaleString('en-US')} jobs)`)
  for (const k of Object.keys(rows)) {
    const cpu = k.startsWith('drain') ? `${((med(k, 'workerCpu') / N) * 1e6).toFixed(0).padStart(18)}   ${((med(k, 'pgCpu') / N) * 1e6).toFixed(0).padStart(18)}` : ''
    console.log(`${k.padEnd(30)} ${fmt(med(k)).padStart(9)}   ${cpu}   runs: ${rows[k].map((x) => fmt(x.rate)).join(', ')}`)
  }
  const bestPeerDrain = Math.max(med('drain graphile-worker'), med('drain pg-boss'), med('drain BullMQ pg'))
  const bestTqDrain = Math.max(med('drain tq c=50'), med('drain tq c=500'))
  const bestPeerBulk = Math.max(med('bulk graphile-worker addJobs'), med('bulk pg-boss insert'), med('bulk BullMQ pg addBulk'))
  console.log(`drain ratio tq / best peer: ${(bestTqDrain / bestPeerDrain).toFixed(2)} (c=50: ${(med('drain tq c=50') / bestPeerDrain).toFixed(2)})   target >= 2`)
  console.log(`bulk ratio tq / best peer: ${(med('bulk tq enqueue') / bestPeerBulk).toFixed(2)}   target >= 2`)
  console.log('\nidle worker, enqueue-to-start (ms) and database transactions per second while idle:')
  for (const [name, l] of Object.entries(lat)) console.log(`${name.padEnd(27)} p50 ${l.p50.toFixed(2)}  p99 ${l.p99.toFixed(2)}${Number.isNaN(l.idle) ? '' : `   idle ${l.idle.toFixed(2)} xact/s`}`)
} finally {
  await dropSchemas()
}
process.exit(0)
