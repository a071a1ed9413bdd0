// tq and plainjob on SQLite side by side in one run, alternating (this machine's speed drifts):
//   - drain of N no-op jobs: plainjob's worker in this process; `tq worker --burst --quiet` (c=500)
//   - single enqueue from one caller: plainjob `queue.add` (synchronous) vs tq `client.enqueue`
//   - single enqueue from 50 concurrent callers in one process (plainjob's add blocks, so its 50
//     callers take turns; tq's group commit lets theirs share transactions)
//   - bulk: plainjob `addMany(1000 payloads)` vs tq `client.enqueueMany(1000 payloads)`
//   - `tq enqueue noop --batch <100k lines>`: the whole process, start to exit
// Each on a fresh file in WAL mode (plainjob sets synchronous=NORMAL, as tq does). CPU per job is
// process.cpuUsage() for in-process runs, /proc/<pid>/stat of the worker process for tq's drain.
//   npm run build && node bench/peers/plainjob-vs-tq.js [rounds]
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { writeFileSync } from 'node:fs'
import { better, defineQueue, defineWorker } from 'plainjob'
import { drainOnce } from '../drain.js'
import { BIN, cleanupAll, dist, fmtInt, makeProject, median, NOOP_TASK, removeDir, tempDir } from '../helpers.js'

const Database = createRequire(import.meta.url)('better-sqlite3')
const rounds = Number(process.argv[2] ?? 3)
const N_DRAIN = 20_000
const N_SINGLE = 20_000
const N_BULK = 100_000
const N_BATCH = 100_000
const CALLERS = 50
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} }

/** Runs fn, returns { rate, cpuUs } for n jobs: jobs/s by wall time, CPU µs/job of this process. */
async function measure(n, fn) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const s = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  return { rate: n / s, cpuUs: (c.user + c.system) / n }
}

function plainQueue(label) {
  const dir = tempDir(label)
  const db = new Database(join(dir, 'plain.db'))
  const queue = defineQueue({ connection: better(db), logger: quiet, maintenanceInterval: 3_600_000 })
  return { queue, done: () => (queue.close(), removeDir(dir)) }
}

async function tqClient(label) {
  const { SqliteBroker } = await dist('src/broker/sqlite/sqlite-broker.js')
  const { Client } = await dist('src/app/client.js')
  const dir = tempDir(label)
  const broker = new SqliteBroker(join(dir, 'tq.db'))
  const client = new Client(broker)
  return { client, done: async () => (await client.close(), removeDir(dir)) }
}

async function plainDrain() {
  const { queue, done } = plainQueue('pj-drain')
  try {
    for (let i = 0; i < N_DRAIN; i += 1000) queue.addMany('noop', Array.from({ length: 1000 }, () => ({})))
    let n = 0
    let worker
    const r = await measure(N_DRAIN, () => new Promise((resolve) => {
      worker = defineWorker('noop', async () => {}, { queue, logger: quiet, pollIntervall: 10, onCompleted: () => ++n === N_DRAIN && resolve() })
      void worker.start()
    }))
    await worker.stop()
    return r
  } finally {
    done()
  }
}

async function tqDrain() {
  const r = await drainOnce({ n: N_DRAIN, concurrency: 500 })
  return { rate: r.drainRate, cpuUs: r.cpuPerJobUs }
}

async function plainSingle(callers) {
  const { queue, done } = plainQueue('pj-single')
  try {
    return await measure(N_SINGLE, () => Promise.all(Array.from({ length: callers }, async () => {
      for (let i = 0; i < N_SINGLE / callers; i++) {
        queue.add('noop', {})
        if (callers > 1) await null // a caller in a server awaits between requests
      }
    })))
  } finally {
    done()
  }
}

async function tqSingle(callers) {
  const { client, done } = await tqClient('tq-single')
  try {
    return await measure(N_SINGLE, () => Promise.all(Array.from({ length: callers }, async () => {
      for (let i = 0; i < N_SINGLE / callers; i++) await client.enqueue('noop', {})
    })))
  } finally {
    await done()
  }
}

const payloads = Array.from({ length: 1000 }, () => ({}))
async function plainBulk() {
  const { queue, done } = plainQueue('pj-bulk')
  try {
    return await measure(N_BULK, async () => {
      for (let i = 0; i < N_BULK; i += 1000) queue.addMany('noop', payloads)
    })
  } finally {
    done()
  }
}
async function tqBulk() {
  const { client, done } = await tqClient('tq-bulk')
  try {
    return await measure(N_BULK, async () => {
      for (let i = 0; i < N_BULK; i += 1000) await client.enqueueMany('noop', payloads)
    })
  } finally {
    await done()
  }
}

/** `tq enqueue noop --batch file` of N_BATCH payloads: seconds from spawn to exit, and its CPU. */
function tqBatchCli() {
  const project = makeProject('batch', { noop: NOOP_TASK })
  try {
    const file = join(project.dir, 'payloads.ndjson')
    writeFileSync(file, Array.from({ length: N_BATCH }, (_, i) => `{"i":${i}}`).join('\n') + '\n')
    // Warm the task bundle cache (as a second enqueue in a project would find it).
    spawnSync(process.execPath, [BIN, 'enqueue', 'noop', '{}'], { cwd: project.dir })
    const t0 = performance.now()
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'enqueue', 'noop', '--batch', file], { cwd: project.dir, encoding: 'utf8' })
    const s = (performance.now() - t0) / 1000
    if (r.status !== 0 || r.stdout.trim() !== String(N_BATCH)) throw new Error(`tq enqueue --batch failed: ${r.stdout} ${r.stderr}`)
    const [user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
    return { s, cpuS: user + sys }
  } finally {
    removeDir(project.dir)
  }
}

const cases = [
  ['drain 20k no-op', plainDrain, tqDrain],
  ['single add, 1 caller', () => plainSingle(1), () => tqSingle(1)],
  [`single add, ${CALLERS} callers`, () => plainSingle(CALLERS), () => tqSingle(CALLERS)],
  ['bulk, 1000 a call', plainBulk, tqBulk],
]
const results = Object.fromEntries(cases.map(([name]) => [name, { plainjob: [], tq: [] }]))
const batch = []
try {
  for (let r = 0; r < rounds; r++) {
    for (const [name, plain, tq] of cases) {
      // Alternate which goes first, so neither always gets the fresher minute.
      const order = r % 2 === 0 ? [['plainjob', plain], ['tq', tq]] : [['tq', tq], ['plainjob', plain]]
      for (const [side, fn] of order) results[name][side].push(await fn())
    }
    batch.push(tqBatchCli())
    console.error(`round ${r + 1} done`)
  }
} finally {
  cleanupAll()
}

const med = (xs, k) => median(xs.map((x) => x[k]))
console.log(`| SQLite, ${rounds} rounds (medians) | plainjob jobs/s | tq jobs/s | tq / plainjob | plainjob CPU µs/job | tq CPU µs/job |`)
console.log('|---|---|---|---|---|---|')
for (const [name, { plainjob, tq }] of Object.entries(results)) {
  const p = med(plainjob, 'rate')
  const t = med(tq, 'rate')
  console.log(`| ${name} | ${fmtInt(p)} | ${fmtInt(t)} | ${(t / p).toFixed(2)} | ${med(plainjob, 'cpuUs').toFixed(1)} | ${med(tq, 'cpuUs').toFixed(1)} |`)
}
console.log(`tq enqueue --batch ${fmtInt(N_BATCH)} payloads, whole process: ${batch.map((b) => b.s.toFixed(2)).join(' / ')} s (CPU ${batch.map((b) => b.cpuS.toFixed(2)).join(' / ')} s)`)
process.exit(0)
