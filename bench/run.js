// tq benchmarks on the SQLite and Redis brokers. Run after `npm run build` (npm run bench does both).
//   node bench/run.js [--quick] [case ...]     a case name or its start: `redis` runs every Redis case
// SQLite cases use fresh temp databases under os.tmpdir(); Redis cases (TQ_BENCH_REDIS_URL, default
// redis://127.0.0.1:6379/0) a fresh key prefix per run. Both are removed afterwards, even on failure.
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { bulkEnqueue, singleEnqueue } from './enqueue.js'
import { drain } from './drain.js'
import { latencyInProcess, latencyProcess } from './latency.js'
import { reload } from './reload.js'
import { status } from './status.js'
import { ui, uiRedis } from './ui.js'
import { connectCost } from './connect.js'
import { isolation } from './isolation.js'
import { recovery } from './recovery.js'
import { testingCost } from './testing.js'
import { cliStart } from './cli.js'
import { redisBulk, redisDrain, redisIdle, redisLatency, redisSingle } from './redis.js'
import { tracingOverhead } from './tracing.js'
import { workflow } from './workflow.js'
import { cleanupAll, fmtInt, ROOT } from './helpers.js'

const CASES = [
  { name: 'single', about: 'one job per enqueue call', run: singleEnqueue },
  { name: 'bulk', about: 'enqueues of 1000 jobs', run: bulkEnqueue },
  { name: 'drain', about: 'one worker process drains no-op jobs; its peak RSS', run: drain },
  { name: 'tracing', about: 'drain with tracing disabled / on without an SDK / with an SDK + BatchSpanProcessor, alternated', run: tracingOverhead },
  { name: 'latency', about: 'enqueue-to-start on an idle worker process', run: latencyProcess },
  { name: 'latency-inproc', about: 'enqueue-to-start, worker engine in the producer process', run: latencyInProcess },
  { name: 'status', about: 'tq status refresh time with 1M finished jobs', run: status },
  { name: 'ui', about: 'the dashboard with 1M jobs: Jobs page first page (API, Chromium), live update lag', run: ui },
  { name: 'isolation', about: 'a 5 s CPU-bound job and 50 quick ones, concurrency 8, one thread to start', run: isolation },
  { name: 'recovery', about: 'kill -9 of one of two workers holding 20 jobs: seconds until they start on the other (SQLite, Redis)', run: recovery },
  { name: 'cli', about: 'tq --help and tq enqueue of one job from a cold start (fresh processes)', run: cliStart },
  { name: 'connect', about: "a producer's import + connect() + first enqueue, in a fresh process", run: connectCost },
  { name: 'testing', about: 'tqjs/testing: runUntilIdle over 10,000 no-op jobs; createTestQueue after the first', run: testingCost },
  { name: 'workflow', about: 'a chord of 10,000 no-op header jobs vs a drain of 10,000 plain jobs, SQLite and Redis', run: workflow },
  { name: 'reload', about: 'tq dev hot reload: save-to-new-code latency and RSS over 100 edits', run: reload },
  { name: 'redis-single', about: 'Redis: one job per enqueue call, awaited; and 8/16 in flight', run: redisSingle },
  { name: 'redis-bulk', about: 'Redis: enqueues of 50 and of 1000 jobs', run: redisBulk },
  { name: 'redis-drain', about: 'Redis: one worker process drains no-op jobs at concurrency 50, 200, 500', run: redisDrain },
  { name: 'redis-latency', about: 'Redis: enqueue-to-start on an idle worker process', run: redisLatency },
  { name: 'redis-ui', about: 'Redis: the dashboard with 1M jobs: Jobs page first page (API, Chromium), live update lag', run: uiRedis },
  { name: 'redis-idle', about: 'Redis: commands/s an idle worker sends (counted by a proxy)', run: redisIdle },
]

const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node bench/run.js [--quick] [case ...]\n')
  for (const c of CASES) console.log(`  ${c.name.padEnd(16)}${c.about}`)
  process.exit(0)
}
if (!existsSync(join(ROOT, 'dist', 'src', 'index.js'))) {
  console.error('Error: dist/ is missing (run npm run build first, or npm run bench)')
  process.exit(1)
}
const quick = args.includes('--quick')
const wanted = args.filter((a) => !a.startsWith('-'))
const unknown = wanted.filter((w) => !CASES.some((c) => c.name.startsWith(w)))
if (unknown.length) {
  console.error(`Error: unknown case ${unknown.join(', ')} (cases: ${CASES.map((c) => c.name).join(', ')})`)
  process.exit(2)
}
const selected = wanted.length ? CASES.filter((c) => wanted.some((w) => c.name.startsWith(w))) : CASES

const log = (line) => process.stderr.write(line + '\n')
log(`tq bench${quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)

const rows = []
let failed = false
const t0 = Date.now()
for (const c of selected) {
  log(`- ${c.name}: ${c.about}`)
  const started = Date.now()
  try {
    rows.push(...(await c.run({ quick, log })))
  } catch (err) {
    failed = true
    rows.push({ name: `${c.name}: FAILED`, error: (err?.message ?? String(err)).split('\n')[0] })
    log(`  ${c.name} failed: ${err?.stack ?? err}`)
  }
  log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}
cleanupAll()

function result(r) {
  if (r.error) return r.error
  const v = r.decimals !== undefined ? r.value.toFixed(r.decimals) : r.unit === 'MB' ? r.value.toFixed(0) : fmtInt(r.value)
  return `${v} ${r.unit}${r.detail ?? ''}`
}
function verdict(r) {
  if (r.error) return 'error'
  if (r.min !== undefined) return r.value >= r.min ? 'ok' : 'MISS'
  if (r.max !== undefined) return r.value <= r.max ? 'ok' : 'MISS'
  return ''
}

const table = [['case', 'result', 'target', ''], ...rows.map((r) => [r.name, result(r), r.target ?? '', verdict(r)])]
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)))
const line = (row) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`
console.log(line(table[0]))
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
for (const row of table.slice(1)) console.log(line(row))
log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`)
process.exitCode = failed ? 1 : 0
