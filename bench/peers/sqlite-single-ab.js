// A lone caller's SQLite enqueue, before/after and beside plainjob, interleaved finely: every side
// has its own fresh WAL file and they take turns in blocks of B enqueues (a few ms each) for many
// rounds, so the machine's drift (30 %+ between minutes here) hits every side alike.
//   pj             plainjob `queue.add('noop', {})` (synchronous)
//   <dir>:client   `await client.enqueue('noop', {})` with tq built in <dir> (its dist/)
//   <dir>:broker   `await broker.enqueue([buildNewJob('noop', undefined, {})])`
//   <dir>:raw      better-sqlite3 `SQL.insert.run(args)` on a file opened by that build
//   any of those with @<pages>: `PRAGMA wal_autocheckpoint = <pages>` set after opening
// Prints, per side: jobs/s (enqueues / summed wall time of its blocks), ratio to plainjob, and CPU
// µs/job (this process's user + system over its blocks).
//   node bench/peers/sqlite-single-ab.js <rounds> <side> [<side> ...]
//   e.g. node bench/peers/sqlite-single-ab.js 200 pj /tmp/before:client .:client
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { better, defineQueue } from 'plainjob'
import { cleanupAll, fmtInt, tempDir } from '../helpers.js'

const Database = createRequire(import.meta.url)('better-sqlite3')
const rounds = Number(process.argv[2] ?? 100)
const B = Number(process.env.B ?? 500)
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} }

async function side(spec) {
  const dir = tempDir('ab')
  if (spec === 'pj') {
    const queue = defineQueue({ connection: better(new Database(join(dir, 'plain.db'))), logger: quiet, maintenanceInterval: 3_600_000 })
    return { block: async () => { for (let i = 0; i < B; i++) queue.add('noop', {}) }, close: async () => queue.close() }
  }
  const [where, ckpt] = spec.split('@') // `@<pages>`: PRAGMA wal_autocheckpoint set after opening
  const [root, kind] = where.split(':')
  const tune = (db) => ckpt && db.pragma(`wal_autocheckpoint = ${Number(ckpt)}`)
  const d = (rel) => import(join(resolve(root), 'dist', rel))
  if (kind === 'raw') {
    const { openDatabase } = await d('src/broker/sqlite/open-database.js')
    const { SQL } = await d('src/broker/sqlite/sql.js')
    const { newJobId } = await d('src/broker/job-id.js')
    const db = openDatabase(join(dir, 'tq.db'))
    tune(db)
    const insert = db.prepare(SQL.insert)
    return {
      block: async () => {
        for (let i = 0; i < B; i++) {
          const now = Date.now()
          insert.run([newJobId(now), 'noop', 'default', 'queued', '{}', 0, 1, now, now, null, null, null])
        }
      },
      close: async () => db.close(),
    }
  }
  const { SqliteBroker } = await d('src/broker/sqlite/sqlite-broker.js')
  if (kind === 'broker') {
    const { buildNewJob } = await d('src/app/new-job.js')
    const broker = new SqliteBroker(join(dir, 'tq.db'))
    tune(broker.db)
    return { block: async () => { for (let i = 0; i < B; i++) await broker.enqueue([buildNewJob('noop', undefined, {})]) }, close: () => broker.close() }
  }
  const { Client } = await d('src/app/client.js')
  const broker = new SqliteBroker(join(dir, 'tq.db'))
  tune(broker.db)
  const client = new Client(broker)
  return { block: async () => { for (let i = 0; i < B; i++) await client.enqueue('noop', {}) }, close: () => client.close() }
}

const specs = process.argv.slice(3)
const sides = await Promise.all(specs.map(side))
const tot = specs.map(() => ({ s: 0, cpu: 0 }))
try {
  for (const s of sides) await s.block() // warm up
  for (let r = 0; r < rounds; r++) {
    // Rotate who goes first, so none always follows the same neighbour.
    for (let k = 0; k < sides.length; k++) {
      const i = (k + r) % sides.length
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      await sides[i].block()
      tot[i].s += (performance.now() - t0) / 1000
      const c = process.cpuUsage(c0)
      tot[i].cpu += c.user + c.system
    }
  }
  for (const s of sides) await s.close()
} finally {
  cleanupAll()
}
const n = rounds * B
const pj = specs.indexOf('pj')
console.log(`| ${fmtInt(n)} single enqueues a side, blocks of ${B}, ${rounds} rounds | jobs/s | / plainjob | CPU µs/job |`)
console.log('|---|---|---|---|')
specs.forEach((spec, i) => {
  const rate = n / tot[i].s
  console.log(`| ${spec} | ${fmtInt(rate)} | ${pj >= 0 ? (rate / (n / tot[pj].s)).toFixed(2) : ''} | ${(tot[i].cpu / n).toFixed(1)} |`)
})
process.exit(0)
