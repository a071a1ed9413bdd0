// tq and BullMQ on the same Redis, side by side in one run, alternating (this machine's speed
// drifts): a drain of N no-op jobs by one worker process each, and bulk enqueue in batches of 1000.
//   (cd bench/peers && npm install) && npm run build && node bench/peers/bullmq-vs-tq.js [rounds]
// BullMQ in its fastest setting: concurrency 50 and removeOnComplete. tq: `tq worker --burst`
// at concurrency 50 and 500. Rates are jobs/s; the ratio is tq / BullMQ from the same round.
import { Queue, Worker } from 'bullmq'
import { randomBytes } from 'node:crypto'
import { deletePrefix, redisDrainOnce, redisServerCpu, REDIS_URL } from '../redis.js'
import { dist, median } from '../helpers.js'

const N = 20_000
const rounds = Number(process.argv[2] ?? 3)
const connection = (() => {
  const u = new URL(REDIS_URL)
  return { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0) }
})()

async function bullmqDrain() {
  const name = `bench-${randomBytes(4).toString('hex')}`
  const queue = new Queue(name, { connection })
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: 1000 }, () => ({ name: 'noop', data: {}, opts: { removeOnComplete: true } })))
  }
  let done = 0
  const redis0 = await redisServerCpu()
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((resolve) => {
    const worker = new Worker(name, async () => {}, { connection, concurrency: 50 })
    worker.on('completed', () => ++done === N && resolve(worker.close()))
  })
  const s = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  const redisS = (await redisServerCpu()) - redis0
  await queue.obliterate({ force: true })
  await queue.close()
  // CPU per job: this process (BullMQ's worker runs here) and the Redis server.
  return { rate: N / s, cpuUs: (c.user + c.system) / N, redisUs: (redisS / N) * 1e6 }
}

async function tqDrain(concurrency) {
  const r = await redisDrainOnce({ n: N, concurrency })
  return { rate: r.drainRate, cpuUs: r.cpuPerJobUs, redisUs: r.redisCpuPerJobUs }
}

async function bullmqBulk() {
  const queue = new Queue(`bench-${randomBytes(4).toString('hex')}`, { connection })
  const t0 = performance.now()
  for (let i = 0; i < N; i += 1000) await queue.addBulk(Array.from({ length: 1000 }, () => ({ name: 'noop', data: {} })))
  const rate = N / ((performance.now() - t0) / 1000)
  await queue.obliterate({ force: true })
  await queue.close()
  return rate
}

async function tqBulk() {
  const { RedisBroker } = await dist('src/broker/redis/redis-broker.js')
  const prefix = `tqbench:${randomBytes(4).toString('hex')}:`
  const url = new URL(REDIS_URL)
  url.searchParams.set('prefix', prefix)
  const broker = await RedisBroker.connect(url.toString())
  const t0 = performance.now()
  for (let i = 0; i < N; i += 1000) {
    const now = Date.now()
    await broker.enqueue(Array.from({ length: 1000 }, () => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 })))
  }
  const rate = N / ((performance.now() - t0) / 1000)
  await broker.close()
  // Every key of the run, not just its jobs (a purge leaves the sequence, queue set and counts).
  await deletePrefix(prefix)
  return rate
}

const rows = { 'drain, tq c=50': [], 'drain, tq c=500': [], 'drain, BullMQ c=50': [], 'bulk 1000s, tq': [], 'bulk 1000s, BullMQ addBulk': [] }
const cpu = { 'drain, tq c=50': [], 'drain, tq c=500': [], 'drain, BullMQ c=50': [] }
const drains = [
  ['drain, BullMQ c=50', bullmqDrain],
  ['drain, tq c=50', () => tqDrain(50)],
  ['drain, tq c=500', () => tqDrain(500)],
]
for (let r = 0; r < rounds; r++) {
  // Alternate the order of the drains so that none always runs in the same minute of a round.
  for (const [name, fn] of r % 2 ? [...drains].reverse() : drains) {
    const d = await fn()
    rows[name].push(d.rate)
    cpu[name].push(d)
  }
  rows['bulk 1000s, BullMQ addBulk'].push(await bullmqBulk())
  rows['bulk 1000s, tq'].push(await tqBulk())
  console.error(`round ${r + 1} done`)
}
const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]))
for (const [k, v] of Object.entries(m)) {
  const c = cpu[k] ? `  CPU µs/job: worker ${median(cpu[k].map((d) => d.cpuUs)).toFixed(1)}, Redis ${median(cpu[k].map((d) => d.redisUs)).toFixed(1)}` : ''
  console.log(`${k.padEnd(28)} ${Math.round(v).toString().padStart(8)} jobs/s  (runs ${rows[k].map(Math.round).join(', ')})${c}`)
}
console.log(`drain ratio tq/BullMQ: c=50 ${(m['drain, tq c=50'] / m['drain, BullMQ c=50']).toFixed(2)}, best ${(Math.max(m['drain, tq c=50'], m['drain, tq c=500']) / m['drain, BullMQ c=50']).toFixed(2)}`)
console.log(`bulk ratio tq/BullMQ: ${(m['bulk 1000s, tq'] / m['bulk 1000s, BullMQ addBulk']).toFixed(2)}`)
process.exit(0)
