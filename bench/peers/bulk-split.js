// Bulk enqueue on Redis, tq against BullMQ addBulk, with the CPU split: this process (the
// producer) and the Redis server (INFO cpu), per job. 20k jobs in batches of 1,000, in process,
// 3 alternated rounds. bullmq-vs-tq.js reports only the rates; this says where the time goes.
//   npm run build && node bench/peers/bulk-split.js
import { Queue } from 'bullmq'
import { randomBytes } from 'node:crypto'
import { deletePrefix, redisServerCpu, REDIS_URL } from '../redis.js'
import { dist } from '../helpers.js'
const N = 20000
const { RedisBroker } = await dist('src/broker/redis/redis-broker.js')
async function measure(name, fn) {
  const r0 = await redisServerCpu(); const c0 = process.cpuUsage(); const t0 = performance.now()
  await fn()
  const s = (performance.now() - t0) / 1000; const c = process.cpuUsage(c0); const rs = (await redisServerCpu()) - r0
  console.log(`${name.padEnd(8)} ${Math.round(N / s)} jobs/s  client ${((c.user + c.system) / N).toFixed(1)} µs/job  redis ${(rs / N * 1e6).toFixed(1)} µs/job`)
}
for (let round = 0; round < 3; round++) {
  const queue = new Queue(`bench-${randomBytes(4).toString('hex')}`, { connection: { host: '127.0.0.1', port: 6379 } })
  await queue.waitUntilReady()
  await measure('bullmq', async () => { for (let i = 0; i < N; i += 1000) await queue.addBulk(Array.from({ length: 1000 }, () => ({ name: 'noop', data: {} }))) })
  await queue.obliterate({ force: true }); await queue.close()
  const prefix = `tqbench:${randomBytes(4).toString('hex')}:`
  const url = new URL(REDIS_URL); url.searchParams.set('prefix', prefix)
  const broker = await RedisBroker.connect(url.toString())
  await measure('tq', async () => { for (let i = 0; i < N; i += 1000) { const now = Date.now(); await broker.enqueue(Array.from({ length: 1000 }, () => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 }))) } })
  await broker.close(); await deletePrefix(prefix)
}
process.exit(0)
