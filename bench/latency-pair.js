// Redis enqueue-to-start and enqueue-to-result of two built clones of tq, sample by sample: both
// workers run at once (each on its own key prefix) and the samples alternate between them, so on a
// loaded machine both see the same load at the same moments (bench/latency-ab.js alternates whole
// runs, ~15 s each, which this machine's load swings across). PING round trips are interleaved too.
//   node bench/latency-pair.js <before-clone> <after-clone> [samples per side, default 600] [sqlite]
// With `sqlite`, each side's worker and producer share a SQLite database of their own instead.
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { LATENCY_TASK, makeProject, percentile, removeDir, sleep, waitForOutput } from './helpers.js'
import { deletePrefix, newPrefix, REDIS_URL } from './redis.js'
import { spawn } from 'node:child_process'

const [beforeDir, afterDir, samplesArg = '600', brokerArg = 'redis'] = process.argv.slice(2)
const sqlite = brokerArg === 'sqlite'
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/latency-pair.js <before-clone> <after-clone> [samples per side] [sqlite]')
  process.exit(2)
}
const samples = Number(samplesArg)
const warmup = 50

async function side(dir) {
  const project = makeProject('latency-pair', { lat: LATENCY_TASK })
  const { prefix, url } = sqlite ? { prefix: undefined, url: undefined } : newPrefix()
  const { RedisBroker } = await import(resolve(dir, 'dist/src/broker/redis/redis-broker.js'))
  const { SqliteBroker } = await import(resolve(dir, 'dist/src/broker/sqlite/sqlite-broker.js'))
  const { Client } = await import(resolve(dir, 'dist/src/app/client.js'))
  // SQLite: the database is made first, so producer and worker start on the same file.
  const broker = sqlite ? new SqliteBroker(project.dbFile) : await RedisBroker.connect(url)
  const child = spawn(resolve(dir, 'bin/run.js'), ['worker', '--quiet', ...(sqlite ? [] : ['--broker', url])], { cwd: project.dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const w = { child, stderr: () => out, exited: new Promise((r) => child.on('exit', r)) }
  await waitForOutput(w, 'tq worker')
  return { dir, project, prefix, broker, client: new Client(broker), child, w, start: [], result: [] }
}

const sides = [await side(beforeDir), await side(afterDir)]
const ping = new Redis(REDIS_URL)
await ping.ping()
const pings = []
try {
  for (let i = 0; i < warmup + samples; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      await sleep(2 + (i % 4))
      const t0 = process.hrtime.bigint()
      const handle = await s.client.enqueue('lat', { t: String(t0) })
      const ms = await handle.result({ timeout: '10s' })
      const rt = Number(process.hrtime.bigint() - t0) / 1e6
      if (i >= warmup) s.start.push(ms), s.result.push(rt)
    }
    await sleep(2 + (i % 4))
    const t0 = process.hrtime.bigint()
    await ping.ping()
    if (i >= warmup) pings.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
} finally {
  ping.disconnect()
  for (const s of sides) {
    s.child.kill('SIGTERM')
    await s.w.exited
    await s.broker.close()
    removeDir(s.project.dir)
    if (s.prefix) await deletePrefix(s.prefix)
  }
}
const f = (xs) => {
  const a = [...xs].sort((x, y) => x - y)
  return `p50 ${percentile(a, 50).toFixed(2)}  p90 ${percentile(a, 90).toFixed(2)}  p99 ${percentile(a, 99).toFixed(2)} ms`
}
const [b, a] = sides
console.log(`${samples} samples each, alternated`)
console.log(`enqueue-to-start   before ${f(b.start)} | after ${f(a.start)}`)
console.log(`enqueue-to-result  before ${f(b.result)} | after ${f(a.result)}`)
console.log(`PING round trip    ${f(pings)}`)
process.exit(0)
