import { Worker } from 'node:worker_threads'
import type { NewJob } from '../broker/types.js'
import { LoadError } from '../load-error.js'
import { distFile } from '../paths.js'
import { packJobs, type AttemptEnd, type FromThread, type RunJob, type ThreadData, type ToThread } from './protocol.js'
import type { Manifest } from './manifest.js'

/** How an attempt ended from the pool's view: the thread's own word, or the thread was lost. */
export type PoolResult = AttemptEnd | { id: string; lost: true; reason: string }

export interface PoolHooks {
  onProgress?(id: string, value: string): void
  onLog?(id: string, line: string): void
  /** A task called ctx.enqueue(): the engine writes the child (built and checked in the thread) and returns its id. */
  onEnqueue?(job: NewJob): Promise<string>
}

interface Slot {
  worker: Worker
  /** Jobs on this thread and how to settle each. */
  jobs: Map<string, (r: PoolResult) => void>
  outbox: RunJob[]
  /** Set when the thread ends on purpose or reports process.exit(): who is to blame. */
  culprit?: { id: string | undefined; result: PoolResult }
  retired: boolean
  startedAt: number
}

/**
 * A pool of task threads, all loaded from one bundle. Jobs go to the least busy thread; a
 * thread that dies fails only the job it can be blamed for (process.exit, timeout, cancel)
 * and hands its other jobs back as `lost`, to be released to the queue. Dead threads are
 * replaced. Hot reload makes a new pool and drains the old one.
 */
export class ThreadPool {
  private readonly slots: Slot[] = []
  private closing = false
  /** Jobs that arrived while no thread was alive. */
  private waiting: { job: RunJob; resolve: (r: PoolResult) => void }[] = []
  /** Threads that died young in a row, to back off their replacement. */
  private crashes = 0
  private loaded: Manifest = { tasks: [], schedules: [] }

  constructor(
    readonly bundleFile: string,
    private readonly size: number,
    /** The config's part the threads need (see ThreadData). */
    private readonly project: Omit<ThreadData, 'bundleFile'> = { config: {}, configFile: null },
    private hooks: PoolHooks = {},
  ) {}

  /** Where progress, logs and child enqueues go (the engine that owns the pool). */
  setHooks(hooks: PoolHooks): void {
    this.hooks = hooks
  }

  /** Starts the threads; resolves with what the bundle defines once all loaded, rejects with LoadError. */
  async start(): Promise<Manifest> {
    const ready = Array.from({ length: Math.max(1, this.size) }, () => this.spawn())
    try {
      const manifests = await Promise.all(ready)
      this.loaded = manifests[0]!
      return this.loaded
    } catch (err) {
      await this.close()
      throw err
    }
  }

  get manifest(): Manifest {
    return this.loaded
  }

  /** Threads alive now. */
  get threadCount(): number {
    return this.slots.length
  }

  /** Jobs currently on threads. */
  get running(): number {
    let n = 0
    for (const s of this.slots) n += s.jobs.size
    return n
  }

  run(job: RunJob): Promise<PoolResult> {
    if (this.closing) return Promise.resolve({ id: job.id, lost: true, reason: 'the thread pool is closed' })
    return new Promise((resolve) => {
      const slot = this.leastBusy()
      // Every thread is being replaced: hold the job until one is back.
      if (!slot) return void this.waiting.push({ job, resolve })
      this.assign(slot, job, resolve)
    })
  }

  private assign(slot: Slot, job: RunJob, resolve: (r: PoolResult) => void): void {
    slot.jobs.set(job.id, resolve)
    // Batch: every job dispatched in this turn goes to the thread in one message.
    if (slot.outbox.push(job) === 1) {
      queueMicrotask(() => {
        const jobs = slot.outbox
        slot.outbox = []
        if (!slot.retired) this.post(slot, { type: 'run', packed: packJobs(jobs) })
      })
    }
  }

  /** Aborts a job's ctx.signal; the task decides how to stop. */
  abort(id: string, reason: string): void {
    const slot = this.slotOf(id)
    if (slot) this.post(slot, { type: 'abort', id, reason })
  }

  /** Stops a job that does not stop by itself by ending its thread; the job ends with `result`. */
  kill(id: string, result: PoolResult): void {
    const slot = this.slotOf(id)
    if (!slot || slot.culprit) return
    slot.culprit = { id, result }
    void slot.worker.terminate()
  }

  /** Ends every thread; jobs still on them are reported lost. */
  async close(): Promise<void> {
    this.closing = true
    for (const w of this.waiting.splice(0)) w.resolve({ id: w.job.id, lost: true, reason: 'the thread pool is closed' })
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined
    for (const s of this.slots) if (!s.retired && (!best || s.jobs.size < best.jobs.size)) best = s
    return best
  }

  private slotOf(id: string): Slot | undefined {
    return this.slots.find((s) => s.jobs.has(id))
  }

  private post(slot: Slot, msg: ToThread): void {
    try {
      slot.worker.postMessage(msg)
    } catch {
      /* thread already gone: its exit handler settles the jobs */
    }
  }

  private spawn(): Promise<Manifest> {
    const data: ThreadData = { bundleFile: this.bundleFile, ...this.project }
    // A capped young generation: no-op floods otherwise grow it to ~48 MB per thread for no gain.
    const worker = new Worker(distFile('worker/thread.js'), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 16 } })
    const slot: Slot = { worker, jobs: new Map(), outbox: [], retired: false, startedAt: Date.now() }
    this.slots.push(slot)
    const held = this.waiting
    this.waiting = []
    for (const w of held) this.assign(slot, w.job, w.resolve)
    return new Promise((resolveReady, rejectReady) => {
      worker.on('message', (msg: FromThread) => {
        switch (msg.type) {
          case 'ready':
            return resolveReady(msg.manifest)
          case 'load-error': {
            const loc = msg.file ? { file: msg.file, line: msg.line ?? 0, column: msg.column ?? 0, frame: msg.frame } : undefined
            return rejectReady(new LoadError(msg.message, loc))
          }
          case 'done':
            for (let i = 0; i < msg.ok.length; i += 2) {
              const id = msg.ok[i]!
              const settle = slot.jobs.get(id)
              slot.jobs.delete(id)
              settle?.({ id, ok: true, result: msg.ok[i + 1] ?? undefined })
            }
            for (const end of msg.failed) {
              const settle = slot.jobs.get(end.id)
              slot.jobs.delete(end.id)
              settle?.(end)
            }
            return
          case 'progress':
            return this.hooks.onProgress?.(msg.id, msg.value)
          case 'log':
            return this.hooks.onLog?.(msg.id, msg.line)
          case 'exit':
            slot.culprit ??= {
              id: msg.id,
              result: { id: msg.id ?? '', ok: false, error: { name: 'ProcessExit', message: `the task called process.exit(${msg.code})` } },
            }
            return
          case 'enqueue': {
            const reply = (r: { jobId?: string; error?: string }) => this.post(slot, { type: 'enqueued', reqId: msg.reqId, ...r })
            if (!this.hooks.onEnqueue) return reply({ error: 'enqueue is not available here' })
            this.hooks.onEnqueue(msg.job).then((jobId) => reply({ jobId }), (err: Error) => reply({ error: err.message }))
            return
          }
        }
      })
      worker.on('error', (err) => {
        // An error that escaped every task (an unhandled rejection in a timer, say) ends the thread.
        slot.culprit ??= { id: undefined, result: { id: '', ok: false, error: { name: err.name, message: `task thread crashed: ${err.message}`, stack: err.stack } } }
      })
      worker.on('exit', (code) => {
        slot.retired = true
        this.slots.splice(this.slots.indexOf(slot), 1)
        rejectReady(new LoadError(`task thread exited with code ${code} while loading`))
        const culprit = slot.culprit
        for (const [id, settle] of slot.jobs) {
          if (culprit && culprit.id === id) settle({ ...culprit.result, id })
          else if (culprit?.id === undefined && culprit && !this.closing) settle({ ...culprit.result, id } as PoolResult)
          else settle({ id, lost: true, reason: this.closing ? 'the worker is shutting down' : 'its thread was stopped because of another job' })
        }
        slot.jobs.clear()
        if (this.closing) return
        // Replace the thread. A thread that keeps dying young (its module crashes on load, say)
        // is replaced less and less eagerly instead of in a tight loop.
        const young = Date.now() - slot.startedAt < 1000
        this.crashes = young ? this.crashes + 1 : 0
        const delay = young ? Math.min(5000, 50 * 2 ** this.crashes) : 0
        setTimeout(() => !this.closing && this.spawn().catch(() => undefined), delay).unref()
      })
    })
  }
}
