// Tracing overhead on a drain: the same no-op drain with tracing disabled (config tracing.enabled
// false), enabled with no OpenTelemetry SDK (the default), and with a real SDK (BasicTracerProvider
// + BatchSpanProcessor, exporting to nowhere) loaded by the instrumentation module, jobs carrying a
// producer's trace context. Variants alternate run by run, so each sees the same machine.
//   node bench/tracing.js [runs] [jobs] [concurrency]      (also: node bench/run.js tracing)
//   TQ_BENCH_VARIANTS=disabled,sdk-batch node bench/tracing.js 5   (only those variants)
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { fmtInt, makeProject, median, newJob, NOOP_TASK, openSqlite, removeDir, ROOT, sampleMemory, spawnWorker } from './helpers.js'
import { createRequire } from 'node:module'

const Database = createRequire(import.meta.url)('better-sqlite3')

const SDK = `import { trace, propagation, context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
// An exporter that drops spans: what is measured is tq's side and the SDK's, not a network.
const exporter = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {} }
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] }))
`

const VARIANTS = {
  disabled: { config: `{ broker: 'sqlite://.tq/tq.db', tracing: { enabled: false } }` },
  'no-sdk': { config: `{ broker: 'sqlite://.tq/tq.db' }` },
  'sdk-batch': { config: `{ broker: 'sqlite://.tq/tq.db', instrumentation: './otel.mjs' }`, sdk: true },
  // The same SDK, its async context manager registered only in task threads (isMainThread false):
  // the worker process starts no spans, and an AsyncLocalStorage there puts hooks on every promise.
  'sdk-threads-ctx': { config: `{ broker: 'sqlite://.tq/tq.db', instrumentation: './otel.mjs' }`, sdk: true, threadsOnlyContext: true },
}

// TQ_BENCH_VARIANTS=disabled,no-sdk runs only those (for a tighter A/B).
const CHOSEN = process.env.TQ_BENCH_VARIANTS ? process.env.TQ_BENCH_VARIANTS.split(',') : Object.keys(VARIANTS)

const TRACEPARENT = JSON.stringify({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })

async function once(variant, n, concurrency) {
  const v = VARIANTS[variant]
  const project = makeProject(`trace-${variant}`, { noop: NOOP_TASK })
  try {
    writeFileSync(join(project.dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig(${v.config})\n`)
    if (v.sdk) {
      const sdk = v.threadsOnlyContext
        ? SDK.replace('context.setGlobalContextManager(', "import { isMainThread } from 'node:worker_threads'\nif (!isMainThread) context.setGlobalContextManager(")
        : SDK
      writeFileSync(join(project.dir, 'otel.mjs'), sdk)
      symlinkSync(join(ROOT, 'node_modules'), join(project.dir, 'node_modules'), 'dir')
    }
    const broker = await openSqlite(project.dbFile)
    for (let i = 0; i < n; i += 1000) {
      const now = Date.now()
      await broker.enqueue(Array.from({ length: Math.min(1000, n - i) }, () => ({ ...newJob('noop', '{}', now), ...(v.sdk ? { headers: TRACEPARENT } : {}) })))
    }
    await broker.close()
    // CPU per job (user + system, every thread of the worker) moves far less than jobs/s when the
    // machine is shared: over the whole run (start-up and the SDK's loading included) and over the
    // drain alone (first job started to last finished, from /proc samples).
    const w = spawnWorker(project.dir, ['--burst', '--quiet', '--concurrency', String(concurrency)])
    const sampler = sampleMemory(w.child.pid, 10)
    const code = await w.exited
    const { cpuS, cpuBetween } = sampler.stop()
    if (code !== 0) throw new Error(`worker exited with ${code}: ${w.stderr()}`)
    const db = new Database(project.dbFile, { readonly: true })
    const s = db.prepare(`SELECT count(*) FILTER (WHERE state = 'succeeded') AS ok, min(started_at) AS first, max(finished_at) AS last FROM jobs`).get()
    db.close()
    if (s.ok !== n) throw new Error(`only ${s.ok} of ${n} jobs succeeded`)
    return { rate: n / (Math.max(1, s.last - s.first) / 1000), cpuUs: (cpuS / n) * 1e6, drainCpuUs: (cpuBetween(s.first, s.last) / n) * 1e6 }
  } finally {
    removeDir(project.dir)
  }
}

export async function tracingOverhead({ quick, log, runs = quick ? 3 : 7, n = quick ? 10_000 : 30_000, concurrency = 500 }) {
  const rates = Object.fromEntries(CHOSEN.map((k) => [k, []]))
  const cpu = Object.fromEntries(CHOSEN.map((k) => [k, []]))
  const drainCpu = Object.fromEntries(CHOSEN.map((k) => [k, []]))
  for (let i = 0; i < runs; i++) {
    // A different variant goes first each run: the first of a round tends to run on a quieter machine.
    const names = CHOSEN
    for (let k = 0; k < names.length; k++) {
      const variant = names[(i + k) % names.length]
      const r = await once(variant, n, concurrency)
      rates[variant].push(r.rate)
      cpu[variant].push(r.cpuUs)
      drainCpu[variant].push(r.drainCpuUs)
    }
    log(`  run ${i + 1} (load ${loadavg()[0].toFixed(1)}): ${CHOSEN.map((k) => `${k} ${fmtInt(rates[k].at(-1))} jobs/s, CPU/job ${drainCpu[k].at(-1).toFixed(1)} µs in the drain, ${cpu[k].at(-1).toFixed(1)} µs in all`).join('; ')}`)
  }
  const med = (o) => Object.fromEntries(Object.entries(o).map(([k, r]) => [k, median(r)]))
  const [mRate, mCpu, mDrain] = [med(rates), med(cpu), med(drainCpu)]
  const pct = (m, k) => `${((m[k] / m.disabled - 1) * 100).toFixed(1)}%`
  const detail = (k) => ` (${k === 'disabled' ? '' : `${pct(mRate, k)}; `}CPU/job ${mDrain[k].toFixed(1)} µs in the drain${k === 'disabled' ? '' : ` (${pct(mDrain, k)})`}, ${mCpu[k].toFixed(1)} µs with start-up)`
  const rows = [{ name: `drain ${fmtInt(n)} no-op jobs c=${concurrency}, tracing disabled (median of ${runs})`, unit: 'jobs/s', value: mRate.disabled, target: '', detail: detail('disabled') }]
  if (mRate['no-sdk']) rows.push({ name: '  tracing on, no SDK registered', unit: 'jobs/s', value: mRate['no-sdk'], target: 'within 3% of disabled', detail: detail('no-sdk') })
  if (mRate['sdk-threads-ctx']) rows.push({ name: '  same, context manager in task threads only', unit: 'jobs/s', value: mRate['sdk-threads-ctx'], target: '', detail: detail('sdk-threads-ctx') })
  if (mRate['sdk-batch']) rows.push({ name: '  tracing on, SDK + BatchSpanProcessor', unit: 'jobs/s', value: mRate['sdk-batch'], target: 'within 25% of disabled', detail: detail('sdk-batch') })
  return rows
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [runs, n, c] = process.argv.slice(2).map(Number)
  const rows = await tracingOverhead({ quick: false, log: console.log, runs: runs || undefined, n: n || undefined, concurrency: c || undefined })
  for (const r of rows) console.log(`${r.name}: ${fmtInt(r.value)} ${r.unit}${r.detail ?? ''} ${r.target ? `[target ${r.target}]` : ''}`)
}
