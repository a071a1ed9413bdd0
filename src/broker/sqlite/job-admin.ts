import type { CancelResult, JobError, JobState } from '../types.js'
import { JOIN_TASK } from '../workflow.js'
import type { CountDeltas } from './count-deltas.js'
import type { Statements } from './sql.js'
import type { WorkflowSteps } from './workflow-steps.js'

interface Before {
  queue: string
  state: JobState
  task: string
  workflowId: string | null
}

/**
 * `tq cancel` and `tq retry` on SQLite, inside the caller's write transaction. A workflow's id
 * (its tq.workflow job) stands for its steps: cancel reaches every step not ended, retry every
 * failed one; a step that ends or comes back moves the steps after it (workflow-steps.ts).
 */
export class JobAdmin {
  constructor(
    private readonly s: Statements,
    private readonly counts: CountDeltas,
    private readonly steps: WorkflowSteps,
  ) {}

  cancel(ids: readonly string[], now: number): CancelResult {
    const out: CancelResult = { cancelled: [], aborting: [] }
    const ended: string[] = []
    for (const id of ids) {
      const before = this.stateOf(id)
      if (!before) continue
      if (isWorkflow(id, before)) {
        const error = JSON.stringify({ name: 'Cancelled', message: 'the workflow was cancelled', at: new Date(now).toISOString() } satisfies JobError)
        for (const step of this.steps.openSteps(id)) this.cancelOne(step.id, { ...before, ...step }, now, error, out, ended)
      } else this.cancelOne(id, before, now, null, out, ended)
    }
    if (ended.length > 0) this.steps.ended(ended, now)
    return out
  }

  /** A job not started ends cancelled (with `error`, or none); a running one is flagged for its worker. */
  private cancelOne(id: string, before: Before, now: number, error: string | null, out: CancelResult, ended: string[]): void {
    if (before.state === 'active') {
      if (this.s.flagActiveCancel.get({ id })) out.aborting.push(id)
      return
    }
    if (!this.s.cancelWaiting.get({ id, now, error })) return
    out.cancelled.push(id)
    this.counts.move(before.queue, before.state, 'cancelled')
    if (before.state === 'waiting') this.s.deleteWait.run(id)
    if (before.workflowId) ended.push(id)
  }

  retry(ids: readonly string[], now: number): string[] {
    const done: string[] = []
    const retryOne = (id: string) => {
      const before = this.stateOf(id)
      if (!before) return
      // A workflow's id: its failed steps, which resume the workflow from there.
      if (isWorkflow(id, before)) for (const step of this.steps.failedSteps(id)) retryOne(step)
      else if (this.s.retry.get({ id, now })) {
        done.push(id)
        this.counts.move(before.queue, before.state, 'queued')
        if (before.workflowId) this.steps.resume(id)
      }
    }
    for (const id of ids) retryOne(id)
    return done
  }

  private stateOf(id: string): Before | undefined {
    return this.s.stateOf.get(id) as Before | undefined
  }
}

const isWorkflow = (id: string, job: Before) => job.task === JOIN_TASK && job.workflowId === id
