import { DEFAULT_TASKS } from '../app/config.js'
import { Beat } from '../beat/beat.js'
import { openBroker } from '../broker/open-broker.js'
import type { Broker, ReapedWorker } from '../broker/types.js'
import { IncrementalBuilds } from '../loader/bundle.js'
import { LoadError } from '../load-error.js'
import { buildTasks, loadProject, type Project, type ProjectOptions } from '../loader/project.js'
import type { WorkerEngine } from '../worker/engine.js'
import { loadCode, startWorker, threadCount, type LoadedCode } from '../worker/run-worker.js'
import { CodeWatcher, type CodeChange } from './code-watcher.js'
import type { BeatEvent } from '../beat/beat.js'
import type { EngineEvent } from '../worker/engine.js'
import { toMs } from '../util/duration.js'
import { parseMetricsAddress } from '../metrics/address.js'
import type { MetricsServer } from '../metrics/server.js'
import { startMetrics } from '../cli-support/metrics.js'

export interface DevOptions extends ProjectOptions {
  /** The worker's queues (default: as tq worker's). */
  queues?: string[]
  concurrency?: number
  /** Task threads (default: as tq worker's; the pool's floor, it grows while threads are blocked). */
  threads?: number
  /** Run beat too (default true). */
  beat?: boolean
  /** Watch and reload (default true). */
  watch?: boolean
  /** Serve Prometheus metrics on this [host:]port (see src/metrics). */
  metrics?: string
  /**
   * Runs once the engine is up, before the banner: `tq dev` starts the dashboard here and
   * returns its address, which the banner shows. Kept a hook so this layer knows nothing of it.
   */
  beforeReady?: (session: DevSession) => Promise<string | undefined>
}

/** What a reload did, for logs and the reload benchmark. */
/** Where a session reports what happens (dev-log.ts prints it for people or as JSON). */
export interface DevReporter {
  ready(session: DevSession): void
  job(event: EngineEvent): void
  beat(event: BeatEvent): void
  reloaded(result: ReloadResult): void
  workerLost(lost: ReapedWorker): void
  brokerError(err: Error): void
  restarting(files: string[]): void
  loadError(err: Error, files: string[]): void
}

export interface ReloadResult {
  ok: boolean
  ms: number
  files: string[]
  tasks: number
  added: string[]
  removed: string[]
  restarted: boolean
}

/**
 * `tq dev`: the broker, a worker and beat in one process, reloading task code as it is saved.
 * A reload builds a new bundle and starts a new thread pool on it; new jobs go to the new pool
 * while running ones finish on the old one, which then ends. Code that fails to build or load
 * is reported and the last good code keeps serving. A config change restarts the engine.
 */
export class DevSession {
  project!: Project
  broker!: Broker
  engine: WorkerEngine | undefined
  private beat: Beat | undefined
  private code: LoadedCode | undefined
  private watcher: CodeWatcher | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private pendingChange: CodeChange | undefined
  private readonly draining = new Set<Promise<unknown>>()
  private readonly builds = new IncrementalBuilds()
  /** The --metrics server, when asked for. */
  metrics: MetricsServer | undefined
  /** The dashboard's address (from beforeReady), for the banner. */
  dashboardUrl: string | undefined

  constructor(
    private readonly opts: DevOptions,
    private readonly log: DevReporter,
  ) {}

  async start(): Promise<void> {
    this.project = await loadProject({ ...this.opts, requireConfig: true })
    if (this.opts.metrics !== undefined) parseMetricsAddress(this.opts.metrics) // before anything is written
    this.broker = await openBroker(this.project.brokerUrl, this.project.root)
    if (this.opts.metrics !== undefined) this.metrics = await startMetrics(this.opts.metrics, this.broker, () => this.engine)
    const bundle = await buildTasks(this.project, this.builds)
    this.code = await loadCode(this.project, bundle.file, threadCount(this.project, this.opts))
    await this.startEngine(this.code)
    if (this.opts.watch !== false) {
      this.watcher = new CodeWatcher(this.project.root, this.targets(bundle.inputs), (change) => this.schedule(change))
      await this.watcher.ready()
    }
    if (this.opts.beforeReady) this.dashboardUrl = await this.opts.beforeReady(this)
    // Last: the banner promises reloads on save, so it comes once the watcher is listening.
    this.log.ready(this)
  }

  get schedules() {
    return this.code?.schedules ?? []
  }

  /** Whether beat runs (not with --no-beat); the banner says so. */
  get beatRunning(): boolean {
    return this.opts.beat !== false
  }

  get tasks() {
    return this.code?.tasks ?? new Map()
  }

  /** Reloads now (used by the watcher, tests and the reload benchmark). */
  reload(change: CodeChange): Promise<ReloadResult> {
    const run = this.queue.then(() => (change.config ? this.restart(change) : this.swap(change)))
    this.queue = run.catch(() => undefined)
    return run
  }

  /** Ctrl-C: running jobs may finish for up to `worker.shutdownGrace` (30 s), as under tq worker. */
  async stop(): Promise<void> {
    await this.watcher?.close()
    await this.queue
    await Promise.all(this.draining)
    await this.stopEngine(toMs(this.project?.config.worker?.shutdownGrace ?? '30s', 'worker.shutdownGrace'))
    await this.builds.dispose()
    await this.metrics?.close()
    await this.broker?.close()
  }

  /** Changes arriving while a reload runs are merged into one follow-up reload. */
  private schedule(change: CodeChange): void {
    if (this.pendingChange) {
      this.pendingChange = { files: [...new Set([...this.pendingChange.files, ...change.files])], config: this.pendingChange.config || change.config }
      return
    }
    this.pendingChange = change
    void this.queue.then(() => {
      const next = this.pendingChange!
      this.pendingChange = undefined
      return this.reload(next)
    })
  }

  private async startEngine(code: LoadedCode): Promise<void> {
    this.engine = await startWorker(this.project, this.broker, { queues: this.opts.queues, concurrency: this.opts.concurrency, onEngine: (e) => (this.engine = e), onEvent: (e) => (this.metrics?.observe(e), this.log.job(e)), onError: (e) => this.log.brokerError(e), onWorkerLost: (l) => this.log.workerLost(l) }, code)
    if (this.opts.beat !== false) {
      this.beat = new Beat(this.broker, code.schedules, { maxCatchUp: this.project.config.beat?.maxCatchUp, tracing: this.project.config.tracing?.enabled !== false, onEvent: (e) => this.log.beat(e) })
      await this.beat.start()
    }
  }

  /** A second Ctrl-C: running jobs go back on the queue now; the process exits next. */
  async abandon(): Promise<number> {
    return (await this.engine?.abandon()) ?? 0
  }

  /** A config change restarts the engine with a short grace; a stop uses shutdownGrace. */
  private async stopEngine(graceMs = 5000): Promise<void> {
    await this.beat?.stop()
    await this.engine?.stop(graceMs)
    this.beat = undefined
    this.engine = undefined
  }

  private async swap(change: CodeChange): Promise<ReloadResult> {
    const t0 = performance.now()
    const before = new Set(this.tasks.keys())
    let code: LoadedCode
    let inputs: string[]
    try {
      ;({ code, inputs } = await this.loadNewCode(this.project))
    } catch (err) {
      return this.failed(err, t0, change)
    }
    this.code = code
    this.watcher?.update(this.targets(inputs))
    const drained = this.engine ? this.engine.swapPool(code.pool, code.tasks) : this.startEngine(code)
    await this.beat?.update(code.schedules)
    // The old pool drains in the background; stop() waits for it.
    const settled = drained.catch(() => undefined).finally(() => this.draining.delete(settled))
    this.draining.add(settled)
    return this.succeeded(t0, change, before, false)
  }

  /** A config change: load the new config and code first (keeping the old on error), then restart the engine. */
  private async restart(change: CodeChange): Promise<ReloadResult> {
    const t0 = performance.now()
    const before = new Set(this.tasks.keys())
    let project: Project
    let code: LoadedCode
    let inputs: string[]
    try {
      project = await loadProject({ ...this.opts, requireConfig: true })
      ;({ code, inputs } = await this.loadNewCode(project))
    } catch (err) {
      return this.failed(err, t0, change)
    }
    this.log.restarting(change.files)
    await this.stopEngine()
    if (project.brokerUrl !== this.project.brokerUrl) {
      await this.broker.close()
      this.broker = await openBroker(project.brokerUrl, project.root)
    }
    this.project = project
    this.code = code
    this.watcher?.update(this.targets(inputs))
    await this.startEngine(code)
    const result = this.succeeded(t0, change, before, true)
    this.log.ready(this)
    return result
  }

  private async loadNewCode(project: Project): Promise<{ code: LoadedCode; inputs: string[] }> {
    const bundle = await buildTasks(project, this.builds)
    return { code: await loadCode(project, bundle.file, threadCount(project, this.opts)), inputs: bundle.inputs }
  }

  private failed(err: unknown, t0: number, change: CodeChange): ReloadResult {
    if (!(err instanceof LoadError) && !(err instanceof Error && err.name === 'ConfigError')) throw err
    this.log.loadError(err as Error, change.files)
    return { ok: false, ms: performance.now() - t0, files: change.files, tasks: this.tasks.size, added: [], removed: [], restarted: false }
  }

  private succeeded(t0: number, change: CodeChange, before: Set<string>, restarted: boolean): ReloadResult {
    const after = new Set(this.tasks.keys())
    const result: ReloadResult = {
      ok: true,
      ms: performance.now() - t0,
      files: change.files,
      tasks: after.size,
      added: [...after].filter((t) => !before.has(t)),
      removed: [...before].filter((t) => !after.has(t)),
      restarted,
    }
    this.log.reloaded(result)
    return result
  }

  private targets(taskInputs: string[]) {
    const globs = this.project.config.tasks ?? DEFAULT_TASKS
    return {
      taskInputs,
      configInputs: this.project.configFile ? [this.project.configFile, ...this.project.configInputs] : [],
      taskGlobs: Array.isArray(globs) ? globs : [globs],
    }
  }
}
