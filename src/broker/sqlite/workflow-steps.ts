import { endedByDependency, resolveStep, type DepOutcome } from '../workflow.js'
import { FINAL_STATES, type DepFailureRule, type JobState } from '../types.js'
import type { CountDeltas } from './count-deltas.js'
import type { Statements } from './sql.js'

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
    let round: readonly string[] = ids
    let woke = false
    while (round.length > 0) {
      // One count-down per waiting step, by how many of the jobs it waits for ended in this round:
      // a settle of 200 header jobs writes the chord body's counter once, not 200 times.
      const down = new Map<string, { n: number; failed: number }>()
      for (const endedId of round) {
        const row = this.s.stepEnded.get(endedId) as { state: JobState; next: string | null } | undefined
        if (!row?.next) continue
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
      round = endedNow
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
   * A retried step of a workflow runs again: a step still waiting for it counts it as not ended
   * again; the steps that ended because of it (DependencyFailed, and on down the graph) wait
   * again, their counters recounted from their dependencies' states.
   */
  resume(id: string): void {
    const todo = [id]
    for (let i = 0; i < todo.length; i++) {
      const row = this.s.stepResume.get(todo[i]) as { next: string | null } | undefined
      if (!row?.next) continue
      for (const nextId of JSON.parse(row.next) as string[]) {
        const step = this.s.stepResume.get(nextId) as { id: string; queue: string; state: JobState; error: string | null; dependsOn: string } | undefined
        if (i === 0 && step?.state === 'waiting') this.s.waitAgain.run(nextId)
        if (!step || !endedByDependency(step.state, step.error)) continue
        const deps = this.s.stepDeps.all(step.dependsOn) as DepOutcome[]
        const pending = deps.filter((d) => !FINAL.has(d.state)).length
        const depFailed = deps.filter((d) => FINAL.has(d.state) && d.state !== 'succeeded').length
        this.s.stepRewait.run(step.id)
        this.s.insertWait.run({ id: step.id, pending, depFailed })
        this.counts.move(step.queue, step.state, 'waiting')
        todo.push(step.id)
      }
    }
  }
}

const FINAL = new Set<JobState>(FINAL_STATES)
