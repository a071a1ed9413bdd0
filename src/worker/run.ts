/**
 * Workers embedded in a user's own process, as graphile-worker's `run` / `runOnce`:
 *
 *   const worker = await runWorker({ concurrency: 5 })   // runs until stopped
 *   process.on('SIGTERM', () => worker.stop())
 *   await runOnce()                                       // runs every ready job, then resolves
 *
 * The project (tq.config.ts, task modules) is found as the CLI finds it. The heavy parts (the
 * bundler, the broker drivers) load on the first call, so importing tqjs stays cheap.
 */
import type { ProjectOptions } from '../loader/project.js'
import type { StartWorkerOptions } from './run-worker.js'

/** The options of `tq worker` (see StartWorkerOptions), plus where the project is and how long `stop()` waits. */
export interface RunWorkerOptions extends ProjectOptions, Omit<StartWorkerOptions, 'burst'> {
  /** How long `stop()` lets running jobs finish before releasing them. Default: `worker.shutdownGrace`, else 30 s. */
  shutdownGrace?: number
}

export interface RunningWorker {
  /** The worker's id, as `tq status` lists it. */
  readonly id: string
  readonly queues: readonly string[]
  /** Stops claiming, lets running jobs finish (up to the grace), releases the rest, closes the broker. */
  stop(): Promise<void>
  /** Resolves once the worker has stopped. */
  readonly stopped: Promise<void>
}

/** Starts a worker in this process; it runs until `stop()`. */
export async function runWorker(opts: RunWorkerOptions = {}): Promise<RunningWorker> {
  return start(opts, false)
}

/** Runs every job that is ready now (and those they enqueue), then stops and resolves. */
export async function runOnce(opts: RunWorkerOptions = {}): Promise<void> {
  const worker = await start(opts, true)
  await worker.stopped
}

async function start(opts: RunWorkerOptions, burst: boolean): Promise<RunningWorker> {
  const [{ loadProject }, { openBroker }, { startWorker }, { toMs }] = await Promise.all([
    import('../loader/project.js'),
    import('../broker/open-broker.js'),
    import('./run-worker.js'),
    import('../util/duration.js'),
  ])
  const project = await loadProject({ ...opts, requireConfig: true })
  const broker = await openBroker(project.brokerUrl, project.root)
  let engine
  try {
    engine = await startWorker(project, broker, { ...opts, burst })
  } catch (err) {
    await broker.close()
    throw err
  }
  const grace = opts.shutdownGrace ?? toMs(project.config.worker?.shutdownGrace ?? '30s', 'worker.shutdownGrace')
  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= engine.stop(grace).then(() => broker.close()))
  const stopped = engine.done().then(stop)
  return { id: engine.id, queues: engine.queues, stop: () => stop(), stopped }
}
