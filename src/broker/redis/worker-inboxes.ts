import type { Redis } from 'ioredis'
import type { ClaimedJob } from '../types.js'
import { InboxReader } from './inbox-reader.js'

/** How long a stopping worker waits for its inbox reader to reach the stop mark. */
const STOP_DRAIN_MS = 2000

/** A worker's inbox as this broker reads it. */
interface Inbox {
  reader: InboxReader
  /** Jobs its reader popped that no claim has returned yet. */
  handed: ClaimedJob[]
  /** 'id:token' of handed jobs returned since the last claim from Redis, which tells the script. */
  delivered: string[]
  /** What the worker's last claim from Redis reported, and the listener's count of changes a claim could find then. */
  nextRunAt: number | null
  claimableAt: number
}

/**
 * The inboxes of the workers claiming through this broker (scripts/handoff-lib.lua.ts): a claim
 * that leaves slots free parks its worker, and an enqueue may then hand it jobs, already leased,
 * on `<base>inbox:<worker>`. Each inbox has a reader blocked on that list; what it pops goes to the
 * worker's engine at once (deliverTo), or else waits here for the worker's next claim, which
 * returns it with no round trip.
 */
export class WorkerInboxes {
  private readonly inboxes = new Map<string, Inbox>()
  /** Per worker, its engine's way to start a handed job at once (deliverTo). */
  private readonly starters = new Map<string, (job: ClaimedJob) => boolean>()

  constructor(
    /** A connection of the inbox's own (it blocks on BLPOP). */
    private readonly open: () => Redis,
    private readonly keyOf: (workerId: string) => string,
    /** A job arrived: wake the worker's engine (its claim returns it). */
    private readonly onHanded: () => void,
    /** The change listener's count of changes a claim could find (ChangeListener.claimable). */
    private readonly claimable: () => number,
    /** The first worker parked here: from now on some wake-ups are not for this broker. */
    private readonly onFirstParked: () => void,
  ) {}

  get workerIds(): string[] {
    return [...this.inboxes.keys()]
  }

  /**
   * Jobs handed to `workerId` go to `start` as its reader pops them, in that turn, rather than
   * waiting for the worker's next claim; those it refuses (false) wait for the claim as before.
   * Undefined unregisters.
   */
  deliverTo(workerId: string, start: ((job: ClaimedJob) => boolean) | undefined): void {
    if (start) this.starters.set(workerId, start)
    else this.starters.delete(workerId)
  }

  /** Up to `limit` jobs handed to this worker and not yet claimed, with what its last claim from Redis said; undefined when none wait. */
  take(workerId: string, limit: number): { jobs: ClaimedJob[]; nextRunAt: number | null; claimableAt: number } | undefined {
    const inbox = this.inboxes.get(workerId)
    if (!inbox || inbox.handed.length === 0) return undefined
    const jobs = inbox.handed.splice(0, limit)
    for (const j of jobs) inbox.delivered.push(`${j.id}:${j.token}`)
    return { jobs, nextRunAt: inbox.nextRunAt, claimableAt: inbox.claimableAt }
  }

  /** Handed jobs returned since the last claim from Redis, as claim.lua reads them (then forgotten here). */
  delivered(workerId: string): string {
    return this.inboxes.get(workerId)?.delivered.splice(0).join(' ') ?? ''
  }

  /** After a claim from Redis: with slots left the script parked the worker, so its reader starts. */
  claimed(workerId: string, parked: boolean, nextRunAt: number | null, claimableAt: number): void {
    const inbox = parked ? this.inboxFor(workerId) : this.inboxes.get(workerId)
    if (inbox) (inbox.nextRunAt = nextRunAt), (inbox.claimableAt = claimableAt)
  }

  private inboxFor(workerId: string): Inbox {
    let inbox = this.inboxes.get(workerId)
    if (!inbox) {
      const handed: ClaimedJob[] = []
      const reader = new InboxReader(this.open(), this.keyOf(workerId), (job) => {
        if (this.starters.get(workerId)?.(job)) {
          // Returned as a claim would return it: the next claim from Redis tells the script.
          inbox!.delivered.push(`${job.id}:${job.token}`)
          // Something a claim could find changed since the last claim: the worker claims now.
          if (this.claimable() !== inbox!.claimableAt) this.onHanded()
          return
        }
        handed.push(job)
        this.onHanded()
      })
      inbox = { reader, handed, delivered: [], nextRunAt: null, claimableAt: -1 }
      if (this.inboxes.size === 0) this.onFirstParked()
      this.inboxes.set(workerId, inbox)
    }
    return inbox
  }

  /**
   * The worker stops claiming: `unpark` (unpark.lua) ends its parking and pushes the stop mark,
   * the reader passes on every job handed before it, and the jobs handed but never claimed are
   * given to `release` to put back. False when the worker had no inbox here.
   */
  async stop(workerId: string, unpark: () => Promise<unknown>, release: (jobs: ClaimedJob[]) => Promise<unknown>): Promise<boolean> {
    this.starters.delete(workerId)
    const inbox = this.inboxes.get(workerId)
    if (!inbox) return false
    this.inboxes.delete(workerId)
    try {
      await unpark()
      await inbox.reader.drained(STOP_DRAIN_MS)
    } finally {
      await inbox.reader.close()
    }
    await release(inbox.handed.splice(0))
    return true
  }
}
