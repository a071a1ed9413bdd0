// Workflows: a chord of N no-op header jobs, from enqueue to the body's result as the producer
// sees it, against draining N plain no-op jobs (enqueue to the last one finished) on the same
// running worker, on SQLite and on Redis. The target: the chord within 1.5x the drain.
// Runs alternate (plain, chord, plain, chord, …) so drift between them cancels; medians reported.
//   node bench/workflow.js [--quick]
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { dist, fmtInt, makeProject, median, NOOP_TASK, removeDir, spawnWorker, waitForOutput } from './helpers.js'

const SUM_TASK = `import { task } from 'tqjs'
export const sum = task('sum', async (xs: unknown[]) => xs.length)
`
const REDIS_URL = process.env.TQ_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0'

async function deletePrefix(prefix) {
  const redis = new Redis(REDIS_URL)
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', prefix + '*', 'COUNT', 1000)
    cursor = next
    if (keys.length) await redis.unlink(...keys)
  } while (cursor !== '0')
  redis.disconnect()
}

/** Enqueue N plain no-op jobs; resolves when all have finished (seconds). */
async function plainRun(tq, broker, n) {
  const noop = tq.contract('noop')
  const before = await succeededCount(broker)
  const t0 = performance.now()
  for (let i = 0; i < n; i += 1000) await tq.client.enqueueMany(noop, Array.from({ length: Math.min(1000, n - i) }, () => ({})))
  while ((await succeededCount(broker)) - before < n) await broker.waitForChange(50)
  return (performance.now() - t0) / 1000
}

/** How long each chord's enqueue took (the whole graph in one atomic write, before any job runs). */
const enqueueTimes = []

/** Enqueue a chord of N no-op header jobs and a body; resolves with the body's result (seconds). */
async function chordRun(tq, n) {
  const { chord } = tq.api
  const noop = tq.contract('noop')
  const sum = tq.contract('sum')
  const t0 = performance.now()
  const h = await tq.client.enqueue(chord(Array.from({ length: n }, () => noop.s({})), sum.s()))
  enqueueTimes.push((performance.now() - t0) / 1000)
  const result = await h.result()
  if (result !== n) throw new Error(`the body saw ${result} results, not ${n}`)
  return (performance.now() - t0) / 1000
}

async function succeededCount(broker) {
  return (await broker.counts()).reduce((a, q) => a + q.counts.succeeded, 0)
}

async function onBroker(name, n, rounds, log) {
  const project = makeProject(`wf-${name}`, { noop: NOOP_TASK, sum: SUM_TASK })
  const prefix = `tqbench:${randomBytes(5).toString('hex')}:`
  const url = name === 'sqlite' ? 'sqlite://.tq/tq.db' : `${REDIS_URL}${REDIS_URL.includes('?') ? '&' : '?'}prefix=${encodeURIComponent(prefix)}`
  writeFileSync(join(project.dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: ${JSON.stringify(url)} })\n`)
  const api = await dist('src/index.js')
  const { openBroker } = await dist('src/broker/open-broker.js')
  const worker = spawnWorker(project.dir, ['--concurrency', '200', '--quiet'])
  try {
    await waitForOutput(worker, 'tq worker', 30_000)
    const client = await api.connect({ cwd: project.dir })
    const broker = await openBroker(url, project.dir)
    const tq = { api, client, contract: (name) => api.defineTask(name) }
    // Warm up: the worker's threads and the broker's caches.
    await plainRun(tq, broker, 1000)
    await chordRun(tq, 1000)
    const plain = []
    const chord = []
    for (let r = 0; r < rounds; r++) {
      plain.push(await plainRun(tq, broker, n))
      chord.push(await chordRun(tq, n))
    }
    await client.close()
    await broker.close()
    const p = median(plain)
    const c = median(chord)
    const e = median(enqueueTimes.splice(0).slice(1))
    log(`  ${name}: ${fmtInt(n)} plain jobs ${p.toFixed(2)} s (${plain.map((x) => x.toFixed(2)).join(', ')}); chord of ${fmtInt(n)} ${c.toFixed(2)} s (${chord.map((x) => x.toFixed(2)).join(', ')}), of which its atomic enqueue ${e.toFixed(2)} s; ratio ${(c / p).toFixed(2)}`)
    return { name, plain: p, chord: c }
  } finally {
    worker.child.kill('SIGTERM')
    await worker.exited
    removeDir(project.dir)
    if (name === 'redis') await deletePrefix(prefix)
  }
}

export async function workflow({ quick, log }) {
  const n = 10_000
  const rounds = quick ? 1 : 3
  const rows = []
  for (const name of ['sqlite', 'redis']) {
    const r = await onBroker(name, n, rounds, log)
    rows.push({ name: `chord of ${fmtInt(n)} no-op header jobs, enqueue to body result, ${name}`, unit: 's', value: r.chord, target: '', detail: ` (drain of ${fmtInt(n)} plain jobs: ${r.plain.toFixed(2)} s)` })
    rows.push({ name: `  chord / drain of the same number of jobs, ${name}`, unit: 'x', value: r.chord / r.plain, target: '<= 1.5', max: 1.5 })
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await workflow({ quick: process.argv.includes('--quick'), log: console.log })
  for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}${r.detail ?? ''}`)
  process.exit(0)
}
