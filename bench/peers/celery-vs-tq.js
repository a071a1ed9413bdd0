// Enqueue-to-start and enqueue-to-result on one Redis: Celery's `delay().get()` (Redis broker and
// result backend, its default prefork pool) beside tq's `enqueue()` + `result()` (bench/redis.js
// redisLatency: an idle `tq worker`), alternating, 300 samples each after 50 warm-up, 2-5 ms
// between samples, both stamping CLOCK_MONOTONIC in the payload.
//
// Celery is Python and not a dependency of anything here: point CELERY_PYTHONPATH at where
// `celery` (with kombu, billiard, vine, redis-py...) can be imported from, e.g. a virtualenv's
// site-packages after `pip install celery redis`, or source checkouts. Without it, this says so
// and exits 0.
//   npm run build && CELERY_PYTHONPATH=... node bench/peers/celery-vs-tq.js [rounds] [pool]
import { spawn, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadavg } from 'node:os'
import { redisLatency } from '../redis.js'
import { fmtMs, median, percentile } from '../helpers.js'

const here = join(dirname(fileURLToPath(import.meta.url)), 'celery')
const rounds = Number(process.argv[2] ?? 3)
const pool = process.argv[3] ?? 'prefork'
const env = { ...process.env, PYTHONPATH: [here, process.env.CELERY_PYTHONPATH].filter(Boolean).join(':'), CELERY_REDIS_URL: process.env.CELERY_REDIS_URL ?? 'redis://127.0.0.1:6379/7' }
const probe = spawnSync('python3', ['-c', 'import celery; print(celery.__version__)'], { env, encoding: 'utf8' })
if (probe.status !== 0) {
  console.log('Celery is not importable (set CELERY_PYTHONPATH): skipped')
  process.exit(0)
}
console.log(`Celery ${probe.stdout.trim()} (${pool} pool) vs tq, ${rounds} rounds`)

async function celeryOnce() {
  // In a process group of its own: the prefork pool's children go with it.
  const worker = spawn('python3', ['-m', 'celery', '-A', 'tasks', 'worker', '--pool', pool, '--loglevel', 'INFO', '--without-mingle', '--without-gossip'], { cwd: here, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let log = ''
  try {
    await new Promise((resolve, reject) => {
      worker.stderr.on('data', (d) => ((log += d), /ready\./.test(log) && resolve()))
      worker.on('exit', (code) => reject(new Error(`celery worker exited (${code}): ${log.slice(-2000)}`)))
    })
    // Asynchronously, so that the worker's log keeps being read while the producer runs.
    const producer = spawn('python3', ['latency.py', '50', '300'], { cwd: here, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const r = { stdout: '', stderr: '', status: 0 }
    producer.stdout.on('data', (d) => (r.stdout += d))
    producer.stderr.on('data', (d) => (r.stderr += d))
    r.status = await new Promise((resolve) => producer.on('exit', resolve))
    if (r.status !== 0) throw new Error(`celery producer failed: ${r.stderr.slice(-1500)}\nworker: ${log.slice(-1500)}`)
    const { start, result } = JSON.parse(r.stdout)
    return { start: percentile(start.sort((a, b) => a - b), 50), result: percentile(result.sort((a, b) => a - b), 50) }
  } finally {
    process.kill(-worker.pid, 'SIGKILL')
  }
}

/** Celery's keys in its database (queue, bindings, results, unacked): nothing left behind. */
async function cleanCeleryKeys() {
  const { Redis } = await import('ioredis')
  const r = new Redis(env.CELERY_REDIS_URL)
  for (const pattern of ['celery*', '_kombu*', 'unacked*']) {
    let cursor = '0'
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
      if (keys.length) await r.del(...keys)
      cursor = next
    } while (cursor !== '0')
  }
  await r.quit()
}

async function tqOnce() {
  const rows = await redisLatency({ quick: false })
  return { start: rows[0].value, result: rows[2].value, ping: rows[3].value }
}

const out = { celery: { start: [], result: [] }, tq: { start: [], result: [], ping: [] } }
for (let i = 0; i < rounds; i++) {
  for (const side of i % 2 ? ['tq', 'celery'] : ['celery', 'tq']) {
    const r = side === 'tq' ? await tqOnce() : await celeryOnce()
    for (const [k, v] of Object.entries(r)) out[side][k].push(v)
  }
  console.log(`  round ${i + 1} (load ${loadavg()[0].toFixed(1)}): Celery start ${fmtMs(out.celery.start.at(-1))} / result ${fmtMs(out.celery.result.at(-1))} ms; tq start ${fmtMs(out.tq.start.at(-1))} / result ${fmtMs(out.tq.result.at(-1))} ms (PING ${fmtMs(out.tq.ping.at(-1))})`)
}
await cleanCeleryKeys()
const m = (xs) => fmtMs(median(xs))
console.log(`enqueue-to-start p50, median of rounds: Celery ${m(out.celery.start)} ms, tq ${m(out.tq.start)} ms`)
console.log(`enqueue-to-result p50 (delay().get() / enqueue + result()), median of rounds: Celery ${m(out.celery.result)} ms, tq ${m(out.tq.result)} ms (ratio tq/Celery ${(median(out.tq.result) / median(out.celery.result)).toFixed(2)})`)
process.exit(0)
