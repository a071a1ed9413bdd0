/**
 * Entry of a task thread. Loads the task bundle, then runs attempts it is sent, many at a time
 * (handlers are async). User code runs only here, never on the engine's thread, so a task that
 * spins forever or calls process.exit() costs this thread, not the worker.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { format } from 'node:util'
import { parentPort, workerData } from 'node:worker_threads'
import type { Registry } from '../loader/registry.js'
import type { TaskContext } from '../app/task.js'
import { LoadError } from '../load-error.js'
import { importTasks } from '../loader/import-tasks.js'
import { importInstrumentation } from '../loader/instrumentation.js'
import { injectHeaders, loadOtel, otel, startConsumerSpan, withContext } from '../util/tracing.js'
import { childJob, runAttemptIf } from './attempt.js'
import { manifestOf } from './manifest.js'
import { ALIVE_MS, FLAG_PENDING, FLAG_STARTED, unpackJobs, type AttemptEnd, type FromThread, type RunJob, type ThreadData, type ToThread } from './protocol.js'

process.setSourceMapsEnabled(true)
const port = parentPort!
const { bundleFile, config, configFile, flags: sharedFlags, instrumentation, tracing } = workerData as ThreadData
const traced = tracing?.enabled !== false
const flags = new Int32Array(sharedFlags)
// While this thread's event loop turns, the pool hears from it: a thread gone quiet is blocked
// (a CPU-bound task), so the pool sends it nothing new and takes back what it has not begun.
setInterval(() => send({ type: 'alive' }), ALIVE_MS)
/**
 * Jobs begun here, each with its AbortController once someone needs it: made when the task first
 * reads ctx.signal or when an abort arrives, since most tasks never look and a controller per job
 * was a measurable share of a no-op job's cost on this thread.
 */
const running = new Map<string, { controller?: AbortController }>()
const controllerOf = (r: { controller?: AbortController }) => (r.controller ??= new AbortController())
/** Where a context keeps its job's entry: a symbol, not enumerable, so a spread ctx looks as before. */
const ENTRY = Symbol('entry')
/**
 * ctx.signal: one getter shared by every context. A getter written in each context's literal is a
 * new function per job, and V8 then gives each context a hidden class of its own, allocated in
 * old space: the thread's old generation grew ~1 MB per scavenge and a no-op job's GC cost more
 * than the job (task thread GC pauses per 50,000 no-op jobs: 95-110 ms, 5-6 mark-compacts; with
 * the shared getter 15-16 ms, none).
 */
const SIGNAL: PropertyDescriptor = {
  get(this: { [ENTRY]: { controller?: AbortController } }) {
    return controllerOf(this[ENTRY]).signal
  },
  enumerable: true,
  configurable: true,
}
const currentJob = new AsyncLocalStorage<string>()
const send = (msg: FromThread) => port.postMessage(msg)

// Attribute process.exit() to the job that called it, so only that job fails.
const realExit = process.exit.bind(process)
process.exit = ((code?: number) => {
  send({ type: 'exit', id: currentJob.getStore(), code: typeof code === 'number' ? code : 0 })
  realExit(code)
}) as typeof process.exit

// Ends are sent in batches: one message per turn of the event loop, however many jobs finished.
let ok: (string | null)[] = []
let failed: AttemptEnd[] = []
let flushQueued = false
const flush = () => {
  flushQueued = false
  const msg: FromThread = { type: 'done', ok, failed }
  ok = []
  failed = []
  send(msg)
}
const finish = (end: AttemptEnd) => {
  if (end.ok) ok.push(end.id, end.result ?? null)
  else failed.push(end)
  if (!flushQueued) {
    flushQueued = true
    setImmediate(flush)
  }
}

let nextReq = 0
const enqueueReplies = new Map<number, (r: { jobId?: string; error?: string }) => void>()

let registry: Registry
try {
  // The user's OpenTelemetry SDK, registered before any task module runs.
  await importInstrumentation(instrumentation)
  registry = await importTasks(bundleFile, { config, configFile })
  // The OpenTelemetry API loads only if an SDK registered (here or in a task module).
  if (tracing?.enabled !== false) await loadOtel()
  send({ type: 'ready', manifest: manifestOf(registry) })
} catch (err) {
  const loc = err instanceof LoadError ? err.location : undefined
  send({ type: 'load-error', message: err instanceof LoadError ? err.detail : String((err as Error)?.message ?? err), ...loc })
  realExit(1)
}

port.on('message', (msg: ToThread) => {
  if (msg.type === 'run') for (const job of unpackJobs(msg.packed)) start(job)
  else if (msg.type === 'abort') {
    const r = running.get(msg.id)
    if (r) controllerOf(r).abort(new Error(msg.reason))
  }
  else if (msg.type === 'enqueued') {
    enqueueReplies.get(msg.reqId)?.(msg)
    enqueueReplies.delete(msg.reqId)
  }
})

function start(job: RunJob): void {
  const def = registry.tasks.get(job.task)
  const entry: { controller?: AbortController } = {}
  running.set(job.id, entry)
  const ctx = {
    id: job.id,
    attempt: job.attempt,
    progress: (value) => send({ type: 'progress', id: job.id, value: JSON.stringify(value ?? null) }),
    log: (...args) => send({ type: 'log', id: job.id, line: format(...args) }),
    enqueue: (child, payload, opts) =>
      new Promise((resolve, reject) => {
        const reqId = nextReq++
        // Built here, where the child's schema and unique-key functions live.
        const newJob = childJob(registry.tasks, child, payload, opts, job.id, Date.now(), config.maxPayload)
        // A child carries the trace context it was enqueued in (the attempt's span, or a task's own).
        const headers = traced ? injectHeaders() : undefined
        if (headers !== undefined) newJob.headers = headers
        enqueueReplies.set(reqId, (r) => (r.jobId ? resolve({ id: r.jobId }) : reject(new Error(r.error))))
        send({ type: 'enqueue', reqId, job: newJob })
      }),
  } as Omit<TaskContext, 'signal'> as TaskContext
  Object.defineProperty(ctx, 'signal', SIGNAL)
  Object.defineProperty(ctx, ENTRY, { value: entry })
  currentJob.run(job.id, () => {
    // Begun only if the pool has not taken the job back meanwhile (an earlier job blocked this thread).
    const begin = () => job.flag === undefined || job.flag < 0 || Atomics.compareExchange(flags, job.flag, FLAG_PENDING, FLAG_STARTED) === FLAG_PENDING
    // The attempt's span, started here in the task's thread so spans the task starts are its
    // children; only once an SDK is registered (otel() loaded), else the path is as without tracing.
    const span = traced && otel() ? startConsumerSpan({ id: job.id, task: job.task, queue: job.queue ?? '', attempt: job.attempt, headers: job.headers }, tracing?.parent !== false) : undefined
    const run = () => runAttemptIf(begin, def, job, ctx)
    ;(span?.ctx ? withContext(span.ctx, run) : run()).then((end) => {
      running.delete(job.id)
      span?.end(end !== 'skipped' && !end.ok ? end.error : undefined)
      if (end === 'skipped') send({ type: 'skipped', id: job.id, flag: job.flag! })
      else finish(end)
    })
  })
}
