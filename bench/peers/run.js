// Every side-by-side comparison in one command (npm run bench:peers): tq against BullMQ on one
// Redis (drain, bulk), against plainjob on SQLite (drain, single enqueue from 1 and 50 callers,
// bulk, and `tq enqueue --batch` of 100k payloads), against graphile-worker, pg-boss and BullMQ's
// PostgreSQL backend on one Postgres (pg-vs-tq.js: drain, bulk, latency, idle cost), then tq's enqueue-to-start latency on both
// brokers (bench/run.js latency cases). Each script alternates tq and the peer within a round.
//   npm run bench:peers [-- rounds]        (bench/peers/node_modules must hold the peers)
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
if (!existsSync(join(here, 'node_modules', 'bullmq')) || !existsSync(join(here, 'node_modules', 'plainjob'))) {
  console.error('Error: the peers are not installed (cd bench/peers && npm install)')
  process.exit(1)
}
const rounds = process.argv[2] ?? '3'
const steps = [
  ['tq vs BullMQ (Redis)', [join(here, 'bullmq-vs-tq.js'), rounds]],
  ['tq vs plainjob (SQLite)', [join(here, 'plainjob-vs-tq.js'), rounds]],
  ['tq vs graphile-worker, pg-boss and BullMQ (Postgres)', [join(here, 'pg-vs-tq.js'), rounds]],
  ['tq enqueue-to-start latency (SQLite, Redis)', [join(here, '..', 'run.js'), 'latency', 'redis-latency']],
  // Skips itself unless CELERY_PYTHONPATH points at an importable Celery (see its header).
  ['tq vs Celery: enqueue-to-start and delay().get() (Redis)', [join(here, 'celery-vs-tq.js'), rounds, 'solo']],
]
let failed = false
for (const [title, args] of steps) {
  console.log(`\n## ${title} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${cpus().length} cores)\n`)
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.status !== 0) failed = true
}
process.exitCode = failed ? 1 : 0
