// Redis enqueue-to-start and enqueue-to-result of two built clones of tq, sample by sample: both
// workers run at once (each on its own key prefix) and the samples alternate between them, so on a
// loaded machine both see the same load at the same moments (bench/latency-ab.js alternates whole
// runs, ~15 s each, which this machine's load swings across). PING round trips are interleaved too.
//   node bench/latency-pair.js <before-clone> <after-clone> [samples per side, default 600] [sqlite]
// With `sqlite`, each side's worker and producer share a SQLite database of their own instead.
import { resolve } from 'node:path'
import { Redis } from 'ioredis'
import { LATENCY_TASK, makeProject, removeDir } from './helpers.js'
import { cloneWorker, pairArgs, pairedSamples, spread, WARMUP } from './pair.js'
import { deletePrefix, newPrefix, REDIS_URL } from './redis.js'

const { beforeDir, afterDir, samples, rest } = pairArgs('latency-pair.js', ' [sqlite]')
const sqlite = rest[0] === 'sqlite'
const warmup = WARMUP

async function side(dir) {
  const project = makeProject('latency-pair', { lat: LATENCY_TASK })
  const { prefix, url } = sqlite ? { prefix: undefined, url: undefined } : newPrefix()
  const { RedisBroker } = await import(resolve(dir, 'dist/src/broker/redis/redis-broker.js'))
  const { SqliteBroker } = await import(resolve(dir, 'dist/src/broker/sqlite/sqlite-broker.js'))
  const { Client } = await import(resolve(dir, 'dist/src/app/client.js'))
  // SQLite: the database is made first, so producer and worker start on the same file.
  const broker = sqlite ? new SqliteBroker(project.dbFile) : await RedisBroker.connect(url)
  const w = await cloneWorker(dir, project.dir, sqlite ? [] : ['--broker', url])
  return { dir, project, prefix, broker, client: new Client(broker), w }
}

const sides = [await side(beforeDir), await side(afterDir)]
const ping = new Redis(REDIS_URL)
await ping.ping()
let pings
try {
  pings = await pairedSamples(sides, { warmup, samples, probe: () => ping.ping() })
} finally {
  ping.disconnect()
  for (const s of sides) {
    s.w.child.kill('SIGTERM')
    await s.w.exited
    await s.broker.close()
    removeDir(s.project.dir)
    if (s.prefix) await deletePrefix(s.prefix)
  }
}
const [b, a] = sides
console.log(`${samples} samples each, alternated`)
console.log(`enqueue-to-start   before ${spread(b.start)} | after ${spread(a.start)}`)
console.log(`enqueue-to-result  before ${spread(b.result)} | after ${spread(a.result)}`)
console.log(`PING round trip    ${spread(pings)}`)
process.exit(0)
