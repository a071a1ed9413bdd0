import type { ClaimedJob } from '../types.js'
import { readClaimRows } from './claim-rows.js'

/** A worker's jobs handed by enqueues (./hand-off.ts), as this broker holds them. */
interface Inbox {
  /** Arrived by notification, not yet returned by a claim. */
  jobs: ClaimedJob[]
  /** Ids returned from `jobs` since the last claim from the database, which tells S.claim_or_park. */
  delivered: string[]
  /** 'id:token' of handed jobs a claim from the database returned before their notification came. */
  returned: Set<string>
  /** What the last claim from the database said. */
  nextRunAt: number | null
  /** stopClaiming() ran: later notifications are not for a claim any more (S.unpark put their jobs back). */
  stopped: boolean
}

/**
 * The inboxes of the workers claiming through this broker. An enqueue that hands a job to a
 * parked worker sends it in its NOTIFY; the LISTEN connection passes it here, and the worker's
 * next claim returns it with no statement. A handed job may also come back from a claim (its
 * notification still on its way, or lost): whichever delivers it first does, the other is dropped.
 */
export class HandedJobs {
  private readonly inboxes = new Map<string, Inbox>()

  get workerIds(): string[] {
    return [...this.inboxes.keys()]
  }

  /** A notification `h` U+001F worker U+001F job: true when the job is for a worker of this broker (then wake it). */
  arrived(payload: string): boolean {
    const at = payload.indexOf('\u001f', 2)
    const inbox = this.inboxes.get(payload.slice(2, at))
    if (!inbox || inbox.stopped) return false
    const job = readClaimRows([[payload.slice(at + 1)]]).jobs[0]
    if (!job || inbox.returned.delete(`${job.id}:${job.token}`)) return false
    inbox.jobs.push(job)
    return true
  }

  /** Up to `limit` handed jobs waiting for this worker, with the last claim's next run time; undefined when none wait. */
  take(workerId: string, limit: number): { jobs: ClaimedJob[]; nextRunAt: number | null } | undefined {
    const inbox = this.inboxes.get(workerId)
    if (!inbox || inbox.jobs.length === 0) return undefined
    const jobs = inbox.jobs.splice(0, limit)
    for (const j of jobs) inbox.delivered.push(j.id)
    return { jobs, nextRunAt: inbox.nextRunAt }
  }

  /**
   * Before a claim from the database: with `park`, this worker's inbox opens now (a hand-off may
   * arrive before the claim's answer). Returns the ids given since the last claim from the
   * database (null: none), forgotten here until given back.
   */
  private beforeClaim(workerId: string, park: boolean): string[] | null {
    if (park && !this.inboxes.has(workerId)) this.inboxes.set(workerId, { jobs: [], delivered: [], returned: new Set(), nextRunAt: null, stopped: false })
    return this.delivered(workerId)
  }

  private delivered(workerId: string): string[] | null {
    const inbox = this.inboxes.get(workerId)
    return inbox && inbox.delivered.length > 0 ? inbox.delivered.splice(0) : null
  }

  /**
   * Runs a claim from the database with the ids given since the last one (beforeClaim); should it
   * fail, the next claim tells them instead.
   */
  async fromDatabase<T>(workerId: string, park: boolean, claim: (delivered: string[] | null) => Promise<T>): Promise<T> {
    const delivered = this.beforeClaim(workerId, park)
    try {
      return await claim(delivered)
    } catch (err) {
      if (delivered) this.inboxes.get(workerId)?.delivered.unshift(...delivered)
      throw err
    }
  }

  /**
   * After a claim from the database: `handed` ('id:token') are the handed jobs it returned, and
   * `extra` the jobs beyond the claim's limit (kept for the next claim). With `parked`, the
   * worker may be handed jobs from now on.
   */
  claimed(workerId: string, parked: boolean, nextRunAt: number | null, handed: readonly string[], extra: readonly ClaimedJob[]): void {
    let inbox = this.inboxes.get(workerId)
    if (!inbox && (parked || handed.length > 0 || extra.length > 0)) {
      inbox = { jobs: [], delivered: [], returned: new Set(), nextRunAt, stopped: false }
      this.inboxes.set(workerId, inbox)
    }
    if (!inbox) return
    inbox.nextRunAt = nextRunAt
    inbox.stopped = false
    for (const key of handed) {
      const i = inbox.jobs.findIndex((j) => `${j.id}:${j.token}` === key)
      if (i >= 0) inbox.jobs.splice(i, 1)
      else inbox.returned.add(key)
    }
    inbox.jobs.unshift(...extra)
  }

  /** Leases held for jobs waiting in inboxes: renewed with the worker's own. */
  leases(): { id: string; token: number }[] {
    const out: { id: string; token: number }[] = []
    for (const inbox of this.inboxes.values()) for (const j of inbox.jobs) out.push({ id: j.id, token: j.token })
    return out
  }

  /** Waiting jobs whose lease a renewal found lost: dropped (no claim returns them). */
  lost(leases: readonly { id: string; token: number }[]): void {
    if (leases.length === 0) return
    const gone = new Set(leases.map((l) => `${l.id}:${l.token}`))
    for (const inbox of this.inboxes.values()) inbox.jobs = inbox.jobs.filter((j) => !gone.has(`${j.id}:${j.token}`))
  }

  /** The worker claims no more: the jobs still waiting, and the ids it was given since its last claim from the database. */
  stop(workerId: string): { waiting: ClaimedJob[]; delivered: string[] | null } | undefined {
    const inbox = this.inboxes.get(workerId)
    if (!inbox || inbox.stopped) return undefined
    inbox.stopped = true
    const delivered = this.delivered(workerId)
    return { waiting: inbox.jobs.splice(0), delivered }
  }

  /** The LISTEN connection was lost: notifications of handed jobs already returned by a claim will not come. */
  reconnected(): void {
    for (const inbox of this.inboxes.values()) inbox.returned.clear()
  }
}
