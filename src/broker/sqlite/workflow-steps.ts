import { endedByDependency, resolveStep, type DepOutcome } from '../workflow.js'
import { FINAL_STATES, type DepFailureRule, type JobState } from '../types.js'
import type { CountDeltas } from './count-deltas.js'
import type { Statements } from './sql.js'

/** A job that ended, as the steps waiting for it need it. */
interface Ended {
  state: JobState
  next: string | null
}

/** A waiting step whose counter reached zero, as stepToResolve reads it. */
interface CountedDown {
  id: string
  queue: string
  dependsOn: string
  input: string | null
  onDepFailure: DepFailureRule
  isJoin: number
  delayMs: number | null
}

/**
 * The workflow rules of src/broker/workflow.ts on SQLite, run inside the caller's write
 * transaction (settle, cancel, claim's expiry, retry), so the step that ends a job and the steps
 * it releases commit together: a chord's body is queued once, by whichever settle ends the last
 * header job.
 */
export class WorkflowSteps {
  constructor(
    private readonly s: Statements,
    private readonly counts: CountDeltas,
  ) {}

  /**
   * Jobs `ids` have ended: counts down the steps waiting for them, resolves those that reach
   * zero, and carries on down the graph from each step that ended in turn (a failure runs down a
   * chain in this one transaction). Returns whether any step became ready (to wake workers).
   */
  ended(ids: readonly string[], now: number): boolean {
    return this.release(this.endedRows(ids), now)
  }

  /**
   * Jobs deleted (purge), as their DELETE returned them: a step deleted before it ended counts as
   * expired for the steps waiting for it, which end by their rules rather than wait for ever.
   */
  deleted(rows: readonly { id: string; state: JobState; next: string | null }[], now: number): boolean {
    for (const r of rows) if (r.state === 'waiting') this.s.deleteWait.run(r.id)
    const gone = rows.filter((r) => r.next !== null && !FINAL.has(r.state)).map((r) => ({ state: 'expired' as const, next: r.next }))
    return gone.length > 0 && this.release(gone, now)
  }

  private endedRows(ids: readonly string[]): Ended[] {
    return ids.map((id) => this.s.stepEnded.get(id) as Ended | undefined).filter((r): r is Ended => r !== undefined)
  }

  private release(ended: readonly Ended[], now: number): boolean {
    let round = ended
    let woke = false
    while (round.length > 0) {
      // One count-down per waiting step, by how many of the jobs it waits for ended in this round:
      // a settle of 200 header jobs writes the chord body's counter once, not 200 times.
      const down = new Map<string, { n: number; failed: number }>()
      for (const row of round) {
        if (!row.next) continue
        const failed = row.state === 'succeeded' ? 0 : 1
        for (const id of JSON.parse(row.next) as string[]) {
          const d = down.get(id)
          if (d) (d.n++, (d.failed += failed))
          else down.set(id, { n: 1, failed })
        }
      }
      const endedNow: string[] = []
      for (const [id, d] of down) {
        const count = this.s.stepCountDown.get({ id, n: d.n, failed: d.failed }) as { pending: number } | undefined
        if (!count || count.pending > 0) continue
        this.s.deleteWait.run(id)
        // Read once, when it is due: a chord body's row holds every header id.
        const step = this.s.stepToResolve.get(id) as CountedDown | undefined
        if (!step) continue
        const to = this.resolve(step, now)
        if (to === 'queued' || to === 'scheduled') woke = true
        else endedNow.push(id)
      }
      // Steps that ended by the rules end the steps after them in turn (a failure runs down a chain).
      round = this.endedRows(endedNow)
    }
    return woke
  }

  /** A step whose last dependency ended: ready with its payload built, or ended by the rules. */
  private resolve(step: CountedDown, now: number): JobState {
    const deps = this.s.stepDeps.all(step.dependsOn) as DepOutcome[]
    const input = step.input ? (JSON.parse(step.input) as (string | number)[]) : null
    const r = resolveStep({ input, onDepFailure: step.onDepFailure, join: step.isJoin === 1 }, deps, now)
    if (r.kind === 'ready') {
      const runAt = now + (step.delayMs ?? 0)
      const { state } = this.s.stepReady.get({ id: step.id, now, runAt, payload: r.payload }) as { state: JobState }
      return state
    }
    const error = r.kind === 'succeeded' ? null : JSON.stringify(r.error)
    const result = r.kind === 'succeeded' ? r.result : r.kind === 'failed' ? r.result : null
    this.s.stepEnd.run({ id: step.id, state: r.kind, result, error, now })
    this.counts.move(step.queue, 'waiting', r.kind)
    return r.kind
  }

  /** The steps of a workflow that have not ended (`workflowId` is its join's id), for cancel. */
  openSteps(workflowId: string): { id: string; queue: string; state: JobState }[] {
    return this.s.workflowOpen.all(workflowId) as { id: string; queue: string; state: JobState }[]
  }

  /** The failed steps of a workflow that a retry of the workflow retries (not those that never ran). */
  failedSteps(workflowId: string): string[] {
    return (this.s.workflowFailed.all(workflowId) as { id: string }[]).map((r) => r.id)
  }

  /**
   * A retried step of a workflow runs again, and so do the steps that ended because of it
   * (DependencyFailed), on down the graph: each of these jobs left a final state. Three passes,
   * so no counter depends on the order the graph is walked in: find the steps to bring back, move
   * them to waiting, then recount theirs from their dependencies' states now, and count every job
   * that left a final state as not ended again in the steps that were already waiting for it.
   */
  resume(id: string): void {
    type Step = { id: string; queue: string; state: JobState; error: string | null; dependsOn: string; next: string | null }
    const moved = [id]
    const back = new Map<string, Step>()
    // One entry per edge from a job that left a final state to a step already waiting for it.
    const waiting: string[] = []
    for (let i = 0; i < moved.length; i++) {
      const row = this.s.stepResume.get(moved[i]) as Step | undefined
      for (const nextId of row?.next ? (JSON.parse(row.next) as string[]) : []) {
        if (back.has(nextId)) continue
        const step = this.s.stepResume.get(nextId) as Step | undefined
        if (step?.state === 'waiting') waiting.push(nextId)
        if (!step || !endedByDependency(step.state, step.error)) continue
        back.set(nextId, step)
        moved.push(nextId)
      }
    }
    for (const step of back.values()) {
      this.s.stepRewait.run(step.id)
      this.counts.move(step.queue, step.state, 'waiting')
    }
    for (const step of back.values()) {
      const deps = this.s.stepDeps.all(step.dependsOn) as DepOutcome[]
      const pending = deps.filter((d) => !FINAL.has(d.state)).length
      const depFailed = deps.filter((d) => FINAL.has(d.state) && d.state !== 'succeeded').length
      this.s.insertWait.run({ id: step.id, pending, depFailed })
    }
    for (const nextId of waiting) this.s.waitAgain.run(nextId)
  }
}

const FINAL = new Set<JobState>(FINAL_STATES)
