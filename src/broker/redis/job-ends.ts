import { FINAL_STATES, type JobJSON, type JobState } from '../types.js'
import { toJobJSON } from '../job-json.js'
import { pairs, stored } from './codec.js'

const FINAL = new Set<JobState>(FINAL_STATES)

/**
 * The producer side of a waited job's end on Redis: watch-job.lua records this broker as a
 * waiter on the job, and the script that ends it publishes the ended job (HGETALL, as JSON) on
 * this broker's own channel. Each message resolves the local waits for that job id. A lost
 * subscription ends every wait early (a message may have gone unseen): the caller reads again.
 */
export class JobEnds {
  private readonly waits = new Map<string, Set<(job: JobJSON | undefined) => void>>()

  /** A wait for job `id`'s end, in place before the job is marked, so no message can be missed. */
  expect(id: string): { ended: (timeoutMs: number) => Promise<JobJSON | undefined>; cancel: () => void } {
    let resolve!: (job: JobJSON | undefined) => void
    const got = new Promise<JobJSON | undefined>((r) => (resolve = r))
    const set = this.waits.get(id) ?? new Set()
    this.waits.set(id, set.add(resolve))
    const cancel = () => {
      set.delete(resolve)
      if (set.size === 0 && this.waits.get(id) === set) this.waits.delete(id)
    }
    return {
      cancel,
      ended: (timeoutMs) => {
        const timer = setTimeout(() => resolve(undefined), Math.max(0, timeoutMs))
        return got.finally(() => {
          clearTimeout(timer)
          cancel()
        })
      },
    }
  }

  /** A message on this broker's own channel: an ended job, as stored. */
  deliver(message: string): void {
    let fields: string[]
    try {
      fields = JSON.parse(message) as string[]
    } catch {
      return
    }
    const h = pairs(fields)
    const set = h.id === undefined ? undefined : this.waits.get(h.id)
    if (!set) return
    const job = toJobJSON(stored(h))
    if (!FINAL.has(job.state)) return
    for (const resolve of [...set]) resolve(job)
  }

  /** The subscription dropped: messages may be lost, so every wait ends and reads again. */
  interrupt(): void {
    for (const set of this.waits.values()) for (const resolve of [...set]) resolve(undefined)
  }
}
