// tq and BullMQ on the same Redis, side by side in one run, alternating (this machine's speed
// drifts): a drain of N no-op jobs by one worker process each, and bulk enqueue in batches of 1000.
//   (cd bench/peers && npm install) && npm run build && node bench/peers/bullmq-vs-tq.js [rounds]
// BullMQ in its fastest setting: concurrency 50 and removeOnComplete. tq: `tq worker --burst`
// at concurrency 50 and 500. Rates are jobs/s; the ratio is tq / BullMQ from the same round.
import { Queue, Worker } from 'bullmq'
import { randomBytes } from 'node:crypto'
import { redisDrainOnce, REDIS_URL } from '../redis.js'
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
  const t0 = performance.now()
  await new Promise((resolve) => {
    const worker = new Worker(name, async () => {}, { connection, concurrency: 50 })
    worker.on('completed', () => ++done === N && resolve(worker.close()))
  })
  const s = (performance.now() - t0) / 1000
  await queue.obliterate({ force: true })
  await queue.close()
  return N / s
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
  await broker.purge({ state: 'queued' })
  await broker.close()
  return rate
}

const rows = { 'drain, tq c=50': [], 'drain, tq c=500': [], 'drain, BullMQ c=50': [], 'bulk 1000s, tq': [], 'bulk 1000s, BullMQ addBulk': [] }
for (let r = 0; r < rounds; r++) {
  rows['drain, BullMQ c=50'].push(await bullmqDrain())
  rows['drain, tq c=50'].push((await redisDrainOnce({ n: N, concurrency: 50 })).drainRate)
  rows['drain, tq c=500'].push((await redisDrainOnce({ n: N, concurrency: 500 })).drainRate)
  rows['bulk 1000s, BullMQ addBulk'].push(await bullmqBulk())
  rows['bulk 1000s, tq'].push(await tqBulk())
  console.error(`round ${r + 1} done`)
}
const m = Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, median(v)]))
for (const [k, v] of Object.entries(m)) console.log(`${k.padEnd(28)} ${Math.round(v).toString().padStart(8)} jobs/s  (runs ${rows[k].map(Math.round).join(', ')})`)
console.log(`drain ratio tq/BullMQ: c=50 ${(m['drain, tq c=50'] / m['drain, BullMQ c=50']).toFixed(2)}, best ${(Math.max(m['drain, tq c=50'], m['drain, tq c=500']) / m['drain, BullMQ c=50']).toFixed(2)}`)
console.log(`bulk ratio tq/BullMQ: ${(m['bulk 1000s, tq'] / m['bulk 1000s, BullMQ addBulk']).toFixed(2)}`)
process.exit(0)
