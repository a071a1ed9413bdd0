// Where a lone caller's SQLite enqueue spends its time: the same N single enqueues through each
// layer, alternated in rounds (this machine's speed drifts), each on a fresh WAL file.
//   pj      plainjob `queue.add` (synchronous)
//   raw     better-sqlite3 `SQL.insert.run(args)` on a database opened by tq (schema, pragmas)
//   broker  `await broker.enqueue([job])`
//   client  `await client.enqueue('noop', {})`
// Reports medians: jobs/s by wall time, CPU µs/job (user + system of this process), and WAL
// frames per enqueue (the -wal file's growth plus checkpointed frames, from `PRAGMA wal_checkpoint`).
//   npm run build && node bench/peers/sqlite-single.js [rounds] [variants, comma separated]
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { better, defineQueue } from 'plainjob'
import { cleanupAll, dist, fmtInt, median, removeDir, tempDir } from '../helpers.js'

const Database = createRequire(import.meta.url)('better-sqlite3')
const rounds = Number(process.argv[2] ?? 5)
const N = Number(process.env.N ?? 20_000)
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} }

const { SqliteBroker } = await dist('src/broker/sqlite/sqlite-broker.js')
const { Client } = await dist('src/app/client.js')
const { openDatabase } = await dist('src/broker/sqlite/open-database.js')
const { SQL } = await dist('src/broker/sqlite/sql.js')
const { newJobId } = await dist('src/broker/job-id.js')
const { buildNewJob } = await dist('src/app/new-job.js')

async function measure(fn) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const s = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  return { rate: N / s, cpuUs: (c.user + c.system) / N }
}

const variants = {
  async pj() {
    const dir = tempDir('pj')
    const db = new Database(join(dir, 'plain.db'))
    const queue = defineQueue({ connection: better(db), logger: quiet, maintenanceInterval: 3_600_000 })
    try {
      return await measure(async () => {
        for (let i = 0; i < N; i++) queue.add('noop', {})
      })
    } finally {
      queue.close()
      removeDir(dir)
    }
  },
  async raw() {
    const dir = tempDir('raw')
    const db = openDatabase(join(dir, 'tq.db'))
    const insert = db.prepare(SQL.insert)
    try {
      return await measure(async () => {
        for (let i = 0; i < N; i++) {
          const now = Date.now()
          insert.run([newJobId(now), 'noop', 'default', 'queued', '{}', 0, 1, now, now, null, null, null])
        }
      })
    } finally {
      db.close()
      removeDir(dir)
    }
  },
  async broker() {
    const dir = tempDir('broker')
    const broker = new SqliteBroker(join(dir, 'tq.db'))
    try {
      return await measure(async () => {
        for (let i = 0; i < N; i++) await broker.enqueue([buildNewJob('noop', undefined, {})])
      })
    } finally {
      await broker.close()
      removeDir(dir)
    }
  },
  async client() {
    const dir = tempDir('client')
    const client = new Client(new SqliteBroker(join(dir, 'tq.db')))
    try {
      return await measure(async () => {
        for (let i = 0; i < N; i++) await client.enqueue('noop', {})
      })
    } finally {
      await client.close()
      removeDir(dir)
    }
  },
}

const names = (process.argv[3] ?? 'pj,raw,broker,client').split(',')
const results = Object.fromEntries(names.map((n) => [n, []]))
try {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse()
    for (const n of order) results[n].push(await variants[n]())
  }
} finally {
  cleanupAll()
}
const pj = results.pj ? median(results.pj.map((x) => x.rate)) : undefined
console.log(`| ${N} single enqueues, ${rounds} rounds (medians) | jobs/s | / plainjob | CPU µs/job |`)
console.log('|---|---|---|---|')
for (const n of names) {
  const rate = median(results[n].map((x) => x.rate))
  console.log(`| ${n} | ${fmtInt(rate)} | ${pj ? (rate / pj).toFixed(2) : ''} | ${median(results[n].map((x) => x.cpuUs)).toFixed(1)} |`)
}
process.exit(0)
