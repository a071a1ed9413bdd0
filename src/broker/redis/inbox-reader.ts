import type { Redis } from 'ioredis'
import type { ClaimedJob } from '../types.js'
import { claimedJob } from './codec.js'

/** Longest BLPOP: an idle worker's reader sends one command this often. */
const BLOCK_S = 30
/** Back-off after a failed BLPOP (connection down: ioredis reconnects by itself; or refused, e.g.
 * by an ACL): doubling from 250 ms to 5 s. Meanwhile the worker's claims still drain the inbox. */
const RETRY_MS = 250
const MAX_RETRY_MS = 5000

/**
 * A worker's inbox on Redis (scripts/handoff-lib.lua.ts): an enqueue hands jobs, already leased,
 * to a worker parked on their queue by pushing them onto `<base>inbox:<worker>`. This reader
 * blocks on that list (BLPOP, on a connection of its own) and passes each job on as it arrives;
 * the worker's next claim drains the list too, so each entry is delivered once, by whichever
 * pops it. Stopping: unpark.lua 'stop' pushes a stop mark after the last job handed, and the
 * reader ends once it pops it, so no job is left in flight on its connection.
 */
export class InboxReader {
  private stopped = false
  private readonly done: Promise<void>
  private reachedMark!: () => void
  private readonly markSeen = new Promise<void>((resolve) => (this.reachedMark = resolve))

  constructor(
    private readonly conn: Redis,
    private readonly key: string,
    private readonly onJob: (job: ClaimedJob) => void,
  ) {
    conn.on('error', () => undefined) // reconnects by itself; the loop retries
    this.done = this.run()
  }

  /** Resolves once the stop mark was popped (every job before it passed on), or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.markSeen, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
    clearTimeout(timer)
  }

  async close(): Promise<void> {
    this.stopped = true
    this.conn.disconnect()
    await this.done
  }

  private async run(): Promise<void> {
    let failures = 0
    while (!this.stopped) {
      let entry: [string, string] | null
      try {
        entry = await this.conn.blpop(this.key, BLOCK_S)
        failures = 0
      } catch {
        if (!this.stopped) await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** failures++)))
        continue
      }
      if (!entry) continue
      const fields = JSON.parse(entry[1]) as unknown
      if (!Array.isArray(fields)) {
        this.stopped = true
        this.reachedMark()
        break
      }
      this.onJob(claimedJob(fields as string[], 0))
      // The next BLPOP after the worker has taken this job (the post to its thread: this turn), not
      // before: writing it first was 0.1 ms on the job's way to start.
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}
