import { availableParallelism } from 'node:os'
import { toMs } from '../util/duration.js'
import { toBytes } from '../app/size.js'
import type { ScheduleDef } from '../beat/schedule-def.js'
import type { Broker, ReapedWorker, TqEvent } from '../broker/types.js'
import { enqueuedEvents } from '../app/announce.js'
import { WorkerObservers } from './observe.js'
import { buildTasks, type Project } from '../loader/project.js'
import { buildInstrumentation, importInstrumentation } from '../loader/instrumentation.js'
import { loadOtel } from '../util/tracing.js'
import { WorkerEngine, type EngineEvent } from './engine.js'
import { catalogOf, type Manifest, type TaskCatalog } from './manifest.js'
import { ThreadPool } from './pool.js'

export interface StartWorkerOptions {
  /** Queues to take jobs from. Default: the config's `worker.queues`, else `default` plus the tasks' queues. */
  queues?: string[]
  concurrency?: number
  /** Task threads. Default: the config's `worker.threads`, else one per core less one. */
  threads?: number
  /** Exit once no job is ready (`tq worker --burst`, runOnce). */
  burst?: boolean
  /** Each job's start and end, for logs. */
  onEvent?: (e: EngineEvent) => void
  /** A broker call failed; the worker backs off and retries. */
  onError?: (e: Error) => void
  /** Another worker was found dead and its running jobs were put back. */
  onWorkerLost?: (lost: ReapedWorker) => void
  /** The engine, made and not started yet (so observers know it before its first event). */
  onEngine?: (engine: WorkerEngine) => void
  /** A config hook threw or timed out (one line). Default: written to stderr. */
  onHookError?: (line: string) => void
}

/** A started pool on one bundle, and what the bundle (plus the config) defines. */
export interface LoadedCode {
  pool: ThreadPool
  manifest: Manifest
  tasks: TaskCatalog
  /** Schedules from the task modules and the config. */
  schedules: ScheduleDef[]
}

/**
 * Task threads per pool. Handlers are async, so one thread runs many jobs; by default one thread
 * per core, less one for the engine, and never more than jobs can run at once.
 */
export function threadCount(project: Project, opts: { concurrency?: number; threads?: number }): number {
  const concurrency = opts.concurrency ?? project.config.worker?.concurrency ?? 10
  return opts.threads ?? project.config.worker?.threads ?? Math.max(1, Math.min(concurrency, availableParallelism() - 1))
}

/** Starts a thread pool on a task bundle; rejects with a LoadError if the code does not load. */
export async function loadCode(project: Project, bundleFile: string, threads: number): Promise<LoadedCode> {
  const { schedules: configSchedules, maxPayload } = project.config
  // The threads build the config's schedules too (with the tasks' real options), so the manifest
  // holds every schedule.
  const w = project.config.worker ?? {}
  const sizing = { size: threads, maxThreads: w.maxThreads, heapMb: w.threadHeap === undefined ? undefined : Math.ceil(toBytes(w.threadHeap, 'worker.threadHeap') / 1048576) }
  // The user's OpenTelemetry SDK first, here and in each thread (see loader/instrumentation.ts).
  const instrumentation = await buildInstrumentation(project)
  await importInstrumentation(instrumentation)
  await loadOtel() // only if the module registered an SDK (see util/tracing.ts)
  const t = project.config.tracing ?? {}
  const pool = new ThreadPool(bundleFile, sizing, {
    config: { schedules: configSchedules, maxPayload },
    configFile: project.configFile,
    instrumentation,
    tracing: { enabled: t.enabled !== false, parent: t.parent !== false },
  })
  const manifest = await pool.start()
  return { pool, manifest, tasks: catalogOf(manifest), schedules: [...manifest.schedules] }
}

/** Builds the project's task bundle, loads it into task threads and starts a worker engine on them. */
export async function startWorker(
  project: Project,
  broker: Broker,
  opts: StartWorkerOptions = {},
  code?: LoadedCode,
): Promise<WorkerEngine> {
  const loaded = code ?? (await loadCode(project, (await buildTasks(project)).file, threadCount(project, opts)))
  const w = project.config.worker ?? {}
  const observers = new WorkerObservers(broker, project.config, opts.onHookError ?? ((line) => void process.stderr.write(`${line}\n`)))
  const engine = new WorkerEngine(announcingEnqueues(broker, (events) => observers.enqueued(events)), {
    tasks: loaded.tasks,
    pool: loaded.pool,
    queues: opts.queues ?? w.queues,
    concurrency: opts.concurrency ?? w.concurrency,
    leaseMs: w.lease !== undefined ? toMs(w.lease, 'worker.lease') : undefined,
    burst: opts.burst,
    retention: {
      finishedMs: project.config.retention?.finished !== undefined ? toMs(project.config.retention.finished, 'retention.finished') : undefined,
      failedMs: project.config.retention?.failed !== undefined ? toMs(project.config.retention.failed, 'retention.failed') : undefined,
    },
    onEvent: (e) => {
      observers.onEvent(e)
      opts.onEvent?.(e)
    },
    onError: opts.onError,
    onWorkerLost: (lost) => {
      observers.onWorkerLost(lost)
      opts.onWorkerLost?.(lost)
    },
    onStopped: () => observers.stopped(),
  })
  observers.attach(engine)
  opts.onEngine?.(engine)
  await engine.start()
  return engine
}

/** The broker, with each enqueue (a task's ctx.enqueue) announced as live events. */
function announcingEnqueues(broker: Broker, announce: (events: TqEvent[]) => void): Broker {
  const enqueue: Broker['enqueue'] = async (jobs) => {
    const res = await broker.enqueue(jobs)
    announce(enqueuedEvents(jobs, res))
    return res
  }
  // Methods are bound once: the engine calls the broker several times a batch.
  const bound = new Map<PropertyKey, unknown>([['enqueue', enqueue]])
  return new Proxy(broker, {
    get(target, key) {
      const known = bound.get(key)
      if (known !== undefined) return known
      const value = Reflect.get(target, key) as unknown
      if (typeof value !== 'function') return value
      const fn = value.bind(target)
      bound.set(key, fn)
      return fn
    },
  })
}

/**
 * SIGTERM/SIGINT: the first stops claiming and lets running jobs finish; a second exits at
 * once and leaves those jobs to lease expiry.
 */
export function onShutdownSignals(graceful: (signal: string) => void, immediate: (signal: string) => void): () => void {
  let count = 0
  const handler = (signal: NodeJS.Signals) => (++count === 1 ? graceful(signal) : immediate(signal))
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
  return () => {
    process.off('SIGTERM', handler)
    process.off('SIGINT', handler)
  }
}
