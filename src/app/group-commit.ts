import type { EnqueueResult, NewJob, ProducerBroker } from '../broker/types.js'

/** Calls bigger than this go to the broker on their own: they are a batch already. */
const MAX_GROUP_JOBS = 1000

interface Waiting {
  jobs: readonly NewJob[]
  resolve: (results: EnqueueResult[]) => void
  reject: (err: unknown) => void
}

/**
 * Group commit for producers. A web server enqueues from many requests at once; written one by
 * one, each is its own SQLite transaction or Redis round trip. Here the enqueues that arrive
 * while a write is being prepared or is in flight share the next write: one transaction, one
 * script call. Each caller's promise resolves only once the write holding its jobs is committed,
 * so an enqueue that returned still survives kill -9; if that write fails, every caller in it
 * gets the error (validation happens before, per caller, so one bad payload fails only its own
 * call). Jobs keep their order, and each caller's own jobs stay together, so the broker treats
 * unique keys and given ids as it would have call by call.
 */
export class GroupCommit {
  private pending: Waiting[] = []
  private flushing = false
  private scheduled = false

  constructor(private readonly broker: Pick<ProducerBroker, 'enqueue'>) {}

  enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length >= MAX_GROUP_JOBS) return this.broker.enqueue(jobs)
    return new Promise((resolve, reject) => {
      this.pending.push({ jobs, resolve, reject })
      if (!this.flushing && !this.scheduled) {
        this.scheduled = true
        // Once the current task's microtasks have run: callers started together (Promise.all, or
        // awaiting their previous enqueue, which resolved together) are written together. Not a
        // whole turn of the event loop (setImmediate): that cost a lone caller awaiting one enqueue
        // after another 20-40 µs per job, half its rate, and put a loop turn into every enqueue's
        // latency. While a write is in flight (Redis), later callers still queue up for the next.
        // A resolved promise's then, not queueMicrotask: that wraps each callback in an async
        // resource, a cost paid by every enqueue of a lone caller.
        void Promise.resolve().then(() => this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    this.scheduled = false
    this.flushing = true
    try {
      // While a write is in flight, new callers queue up and go in the next one.
      while (this.pending.length > 0) {
        // The longest run of callers from the front that fits in one write (at least one), taken
        // in one splice rather than a shift() a caller: shift is linear in what is left.
        const pending = this.pending
        let end = 0
        let size = 0
        while (end < pending.length && (size === 0 || size + pending[end]!.jobs.length <= MAX_GROUP_JOBS)) size += pending[end++]!.jobs.length
        const group = end === pending.length ? pending : pending.slice(0, end)
        this.pending = end === pending.length ? [] : pending.slice(end)
        const jobs: NewJob[] = []
        for (const w of group) for (const j of w.jobs) jobs.push(j)
        try {
          const results = await this.broker.enqueue(jobs)
          let at = 0
          for (const w of group) {
            const n = w.jobs.length
            w.resolve(n === 1 ? [results[at]!] : results.slice(at, at + n))
            at += n
          }
        } catch (err) {
          for (const w of group) w.reject(err)
        }
      }
    } finally {
      this.flushing = false
    }
  }
}
