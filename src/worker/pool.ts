import { LoadError } from '../load-error.js'
import {
  ALIVE_MS,
  FLAG_PENDING,
  FLAG_TAKEN_BACK,
  packRuns,
  type FromThread,
  type RunJob,
  type ThreadData,
  type ToThread,
} from './protocol.js'
import { FLAGS, startThread, type Entry, type Slot } from './pool-thread.js'
import type { Manifest } from './manifest.js'
import type { PoolHooks, PoolOptions, PoolResult, ThreadState } from './pool-types.js'

export type { PoolHooks, PoolOptions, PoolResult, ThreadState } from './pool-types.js'

/** A thread silent this long is blocked: it gets no new work, and its jobs not begun go elsewhere. */
const BLOCKED_MS = 300
/** Blocked this long, the jobs on it are reported (the log, tq status, tq workers). */
const REPORT_MS = 5000
/** Threads beyond `size` that ran nothing for this long are ended. */
const SHRINK_MS = 10_000
const DEFAULT_HEAP_MB = 512
/**
 * A pool of task threads, all loaded from one bundle. Jobs go to the least busy responsive
 * thread. A thread whose event loop stops turning (a CPU-bound task) gets no new work: the jobs
 * sent to it that it had not begun go to another thread, and the pool grows, up to maxThreads,
 * while threads are blocked; threads beyond `size` end once idle. A task may ask for a thread of
 * its own. A thread that dies fails only the job it can be blamed for (process.exit, timeout,
 * cancel, running out of memory) and hands its other jobs back. Dead threads are replaced. Hot
 * reload makes a new pool and drains the old one.
 */
export class ThreadPool {
  private readonly slots: Slot[] = []
  private closing = false
  /** Jobs that arrived while no thread was alive. */
  private waiting: Entry[] = []
  /** Threads that died young in a row, to back off their replacement. */
  private crashes = 0
  private loaded: Manifest = { tasks: [], schedules: [] }
  private watchdog: NodeJS.Timeout | undefined
  private readonly size: number
  private readonly maxThreads: number
  private readonly heapMb: number

  constructor(
    readonly bundleFile: string,
    sizing: number | PoolOptions,
    /** The config's part the threads need (see ThreadData). */
    private readonly project: Omit<ThreadData, 'bundleFile' | 'flags'> = { config: {}, configFile: null },
    private hooks: PoolHooks = {},
  ) {
    const o = typeof sizing === 'number' ? { size: sizing } : sizing
    this.size = Math.max(1, o.size)
    this.maxThreads = Math.max(this.size, o.maxThreads ?? this.size + 4)
    this.heapMb = o.heapMb ?? DEFAULT_HEAP_MB
  }

  /** Where progress, logs and child enqueues go (the engine that owns the pool). */
  setHooks(hooks: PoolHooks): void {
    this.hooks = hooks
  }

  /** Starts the threads; resolves with what the bundle defines once all loaded, rejects with LoadError. */
  async start(): Promise<Manifest> {
    const ready = Array.from({ length: this.size }, () => this.spawn().ready)
    try {
      const manifests = await Promise.all(ready)
      this.loaded = manifests[0]!
      this.watchdog = setInterval(() => this.watch(), ALIVE_MS)
      this.watchdog.unref()
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

  /** Each live thread's state, for `tq workers`: jobs on it, blocked or not, shared or its own job's. */
  get threadStates(): ThreadState[] {
    const now = Date.now()
    return this.slots.filter((s) => !s.retired).map((s) => ({ jobs: s.jobs.size, blocked: s.ready && s.jobs.size > 0 && !this.responsive(s, now), own: s.own !== undefined }))
  }

  /** Jobs currently on threads. */
  get running(): number {
    let n = 0
    for (const s of this.slots) n += s.jobs.size
    return n
  }

  /** Runs one attempt; `own` gives the job a thread of its own, ended after it. */
  run(job: RunJob, opts: { own?: boolean } = {}): Promise<PoolResult> {
    return new Promise((resolve) => this.submit(job, opts.own === true, resolve))
  }

  /**
   * run() without a promise: `done` is called once with how the attempt ended. The engine's path
   * (a promise, its resolver and a reaction per job were a measurable share of its thread).
   * The job object is not changed, so the engine may pass the claimed job itself. On a closing
   * pool `done` runs at once, inside this call (the engine's settle still waits a microtask).
   */
  submit(job: RunJob, own: boolean, done: (r: PoolResult) => void): void {
    if (this.closing) return done({ id: job.id, lost: true, reason: 'the thread pool is closed' })
    if (own) this.assign(this.spawn({ suspect: false }).slot, job, done)
    else this.dispatch({ job, flag: -1, resolve: done })
  }

  private dispatch(e: Entry): void {
    const slot = this.pick()
    // Every thread is being replaced: hold the job until one is back.
    if (!slot) return void this.waiting.push(e)
    this.assign(slot, e.job, e.resolve)
  }

  /** The least busy responsive shared thread; a new one while all are blocked; else the least busy. */
  private pick(): Slot | undefined {
    const now = Date.now()
    let best: Slot | undefined
    let anyShared: Slot | undefined
    let shared = 0
    for (const s of this.slots) {
      if (s.retired || s.own || s.culprit) continue
      shared++
      if (!anyShared || s.jobs.size < anyShared.jobs.size) anyShared = s
      if (this.responsive(s, now) && (!best || s.jobs.size < best.jobs.size)) best = s
    }
    if (best) return best
    if (shared > 0 && shared < this.maxThreads && !this.closing) return this.spawn().slot
    return anyShared
  }

  /** A thread still loading counts as responsive: it will take its jobs as soon as it is up. */
  private responsive(s: Slot, now: number): boolean {
    return !s.ready || now - s.lastAlive < BLOCKED_MS
  }

  private assign(slot: Slot, job: RunJob, resolve: (r: PoolResult) => void): void {
    const flag = slot.freeFlags.pop() ?? (slot.nextFlag < FLAGS ? slot.nextFlag++ : -1)
    if (flag >= 0) Atomics.store(slot.flags, flag, FLAG_PENDING)
    slot.jobs.set(job.id, { job, flag, resolve })
    slot.outFlags.push(flag)
    // Batch: every job dispatched in this turn goes to the thread in one message, sent by flush()
    // (the engine calls it once it has dispatched a claim's jobs) or else after this turn's microtasks.
    if (slot.outbox.push(job) === 1) queueMicrotask(() => this.send(slot))
  }

  /**
   * Sends the jobs dispatched so far now, rather than after the caller's microtasks: the engine
   * calls it right after dispatching a claim's jobs, so the threads wake while it goes back to
   * its idle wait (setting that up before the post was ~0.05 ms of every idle job's start).
   */
  flush(): void {
    for (const s of this.slots) if (s.outbox.length > 0) this.send(s)
  }

  private send(slot: Slot): void {
    const jobs = slot.outbox
    if (jobs.length === 0) return
    const flags = slot.outFlags
    slot.outbox = []
    slot.outFlags = []
    slot.lastBusy = Date.now()
    if (!slot.retired) this.post(slot, { type: 'run', packed: packRuns(jobs, flags) })
  }

  /** Takes a job back from a thread if the thread has not begun it (the flag says who won). */
  private takeBack(slot: Slot, e: Entry): boolean {
    const flag = e.flag
    if (flag < 0 || Atomics.compareExchange(slot.flags, flag, FLAG_PENDING, FLAG_TAKEN_BACK) !== FLAG_PENDING) return false
    slot.jobs.delete(e.job.id)
    return true
  }

  /** Every ALIVE_MS: moves work off blocked threads, reports long blocks, ends idle extra threads. */
  private watch(): void {
    const now = Date.now()
    let shared = this.slots.filter((s) => !s.retired && !s.own).length
    for (const s of [...this.slots]) {
      if (s.retired || !s.ready) continue
      const quiet = now - s.lastAlive
      if (s.jobs.size > 0) s.lastBusy = now
      if (quiet >= BLOCKED_MS && s.jobs.size > 0) {
        for (const e of [...s.jobs.values()]) if (this.takeBack(s, e)) this.dispatch({ job: e.job, flag: -1, resolve: e.resolve })
        if (quiet >= REPORT_MS && !s.reported && s.jobs.size > 0) {
          s.reported = true
          this.hooks.onBlocked?.([...s.jobs.keys()], quiet)
        }
      } else if (quiet < BLOCKED_MS) s.reported = false
      if (!s.own && s.jobs.size === 0 && shared > this.size && now - s.lastBusy > SHRINK_MS) {
        s.shrunk = true
        s.retired = true
        shared--
        void s.worker.terminate()
      }
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
    clearInterval(this.watchdog)
    for (const w of this.waiting.splice(0)) w.resolve({ id: w.job.id, lost: true, reason: 'the thread pool is closed' })
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
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

  private spawn(own?: { suspect: boolean }): { slot: Slot; ready: Promise<Manifest> } {
    const slot = startThread({ bundleFile: this.bundleFile, ...this.project }, this.heapMb, own)
    const worker = slot.worker
    this.slots.push(slot)
    if (!own) for (const w of this.waiting.splice(0)) this.assign(slot, w.job, w.resolve)
    const ready = new Promise<Manifest>((resolveReady, rejectReady) => {
      worker.on('message', (msg: FromThread) => {
        slot.lastAlive = Date.now()
        switch (msg.type) {
          case 'ready':
            slot.ready = true
            return resolveReady(msg.manifest)
          case 'alive':
            return
          case 'load-error': {
            const loc = msg.file ? { file: msg.file, line: msg.line ?? 0, column: msg.column ?? 0, frame: msg.frame } : undefined
            return rejectReady(new LoadError(msg.message, loc))
          }
          case 'done':
            for (let i = 0; i < msg.ok.length; i += 2) this.settle(slot, msg.ok[i]!, { id: msg.ok[i]!, ok: true, result: msg.ok[i + 1] ?? undefined })
            for (const end of msg.failed) this.settle(slot, end.id, end)
            return
          case 'skipped':
            // A job taken back before it began: its flag may serve another job now.
            slot.freeFlags.push(msg.flag)
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
      worker.on('error', (err: Error & { code?: string }) => {
        if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') return void (slot.outOfMemory = true)
        // An error that escaped every task (an unhandled rejection in a timer, say) ends the thread.
        slot.culprit ??= { id: undefined, result: { id: '', ok: false, error: { name: err.name, message: `task thread crashed: ${err.message}`, stack: err.stack } } }
      })
      worker.on('exit', (code) => {
        slot.retired = true
        this.slots.splice(this.slots.indexOf(slot), 1)
        rejectReady(new LoadError(`task thread exited with code ${code} while loading`))
        if (slot.shrunk) return
        this.settleLost(slot)
        if (this.closing || slot.own) return
        // Replace the thread while the pool is below its size. A thread that keeps dying young
        // (its module crashes on load, say) is replaced less and less eagerly, not in a tight loop.
        if (this.slots.filter((s) => !s.retired && !s.own).length >= this.size) return
        const young = Date.now() - slot.startedAt < 1000
        this.crashes = young ? this.crashes + 1 : 0
        const delay = young ? Math.min(5000, 50 * 2 ** this.crashes) : 0
        setTimeout(() => !this.closing && this.spawn().ready.catch(() => undefined), delay).unref()
      })
    })
    ready.catch(() => undefined)
    return { slot, ready }
  }

  private settle(slot: Slot, id: string, result: PoolResult): void {
    const e = slot.jobs.get(id)
    if (!e) return
    slot.jobs.delete(id)
    if (e.flag >= 0) slot.freeFlags.push(e.flag)
    e.resolve(result)
    // A thread of its own ends with its job.
    if (slot.own && slot.jobs.size === 0) {
      slot.shrunk = true
      void slot.worker.terminate()
    }
  }

  /** A thread ended with jobs on it: who is to blame, and what happens to the others. */
  private settleLost(slot: Slot): void {
    const culprit = slot.culprit
    const begun: Entry[] = []
    for (const e of slot.jobs.values()) {
      if (culprit?.id === e.job.id) e.resolve({ ...culprit.result, id: e.job.id })
      // Sent but not begun: it goes to another thread as if it had never been sent here.
      else if (!this.closing && this.takeBack(slot, e)) this.dispatch({ job: e.job, flag: -1, resolve: e.resolve })
      else begun.push(e)
    }
    slot.jobs.clear()
    for (const e of begun) {
      if (slot.outOfMemory && !this.closing) {
        if (slot.own || begun.length === 1) {
          e.resolve({ id: e.job.id, ok: false, error: { name: 'OutOfMemoryError', message: `ran out of memory: a task thread's heap is limited to ${this.heapMb} MB (raise worker.threadHeap in tq.config.ts)` } })
        } else {
          // Several jobs shared the thread that ran out: each runs again alone, and only the one
          // that runs out again alone is failed for it. The others lose no attempt.
          this.assign(this.spawn({ suspect: true }).slot, e.job, e.resolve)
        }
      } else if (culprit && culprit.id === undefined && !this.closing) e.resolve({ ...culprit.result, id: e.job.id } as PoolResult)
      else e.resolve({ id: e.job.id, lost: true, reason: this.closing ? 'the worker is shutting down' : 'its thread was stopped because of another job' })
    }
  }
}
