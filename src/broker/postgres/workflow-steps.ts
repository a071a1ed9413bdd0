import { endedByDependency, JOIN_TASK, resolveStep, type DepOutcome } from '../workflow.js'
import type { DepFailureRule, JobError, JobState } from '../types.js'
import type { Db } from './connection.js'
import type { Statements } from './sql.js'

/**
 * The workflow rules of ../workflow.ts on Postgres, inside the caller's transaction: the counters
 * of waiting steps are plain columns decremented by UPDATE (row locks make the decrement that
 * reaches 0 exactly one), and steps resolved to an end cascade to their own `next` in the same
 * transaction. Only jobs with `next` come here; everything else settles on the fast path.
 */

/** Jobs that just ended (succeeded, failed for good, cancelled, expired): updates what waits for them. */
export async function endedJobs(db: Db, s: Statements, ids: readonly string[]): Promise<void> {
  let ended = [...ids]
  while (ended.length > 0) {
    const rows = (await db.query<{ id: string; state: JobState; next: string[] | null }>(s.wfNext, [ended])).rows
    const targets: string[] = []
    const failed: boolean[] = []
    for (const r of rows) for (const n of r.next ?? []) (targets.push(n), failed.push(r.state !== 'succeeded'))
    if (targets.length === 0) return
    type Waiting = { id: string; task: string; pending: number; depends_on: string; input: string | null; on_dep_failure: DepFailureRule; is_join: boolean }
    const ready = (await db.query<Waiting>(s.wfDecrement, [targets, failed])).rows.filter((r) => r.pending <= 0)
    if (ready.length === 0) return
    const depIds = [...new Set(ready.flatMap((r) => JSON.parse(r.depends_on) as string[]))]
    const deps = new Map((await db.query<DepOutcome>(s.wfDeps, [depIds])).rows.map((d) => [d.id, d]))
    const now = Date.now()
    const cols: (string | null)[][] = [[], [], [], [], []]
    ended = []
    for (const r of ready) {
      // A dependency deleted meanwhile (purge) counts as expired, so indexes in `input` stay aligned.
      const outcomes = (JSON.parse(r.depends_on) as string[]).map((id) => deps.get(id) ?? { id, task: '', state: 'expired' as JobState, result: null, error: null })
      const res = resolveStep({ input: r.input ? (JSON.parse(r.input) as (string | number)[]) : null, onDepFailure: r.on_dep_failure, join: r.is_join }, outcomes, now)
      const row =
        res.kind === 'ready' ? ['ready', res.payload, null, null]
        : res.kind === 'succeeded' ? ['succeeded', null, res.result, null]
        : res.kind === 'cancelled' ? ['cancelled', null, null, JSON.stringify(res.error)]
        : ['failed', null, res.result, JSON.stringify(res.error)]
      ;[r.id, ...row].forEach((v, i) => cols[i]!.push(v))
      if (res.kind !== 'ready') ended.push(r.id)
    }
    await db.query(s.wfResolve, cols)
  }
}

/** Which of `ids` name a workflow (the id of its join). */
export async function workflowIds(db: Db, s: Statements, ids: readonly string[]): Promise<Set<string>> {
  return new Set((await db.query<{ id: string }>(s.wfJoins, [ids, JOIN_TASK])).rows.map((r) => r.id))
}

/**
 * Cancels whole workflows: every step not started ends cancelled at once (no cascade needed:
 * everything downstream is among them), running ones are flagged for their worker to abort.
 */
export async function cancelWorkflows(db: Db, s: Statements, workflows: readonly string[]): Promise<{ cancelled: string[]; aborting: string[] }> {
  const error = JSON.stringify({ name: 'Cancelled', message: 'the workflow was cancelled', at: new Date().toISOString() } satisfies JobError)
  const cancelled = (await db.query<{ id: string }>(s.wfCancel, [workflows, error])).rows.map((r) => r.id)
  const aborting = (await db.query<{ id: string }>(s.wfFlag, [workflows])).rows.map((r) => r.id)
  return { cancelled, aborting }
}

/** The steps a retry of these workflows retries: those that failed themselves. */
export async function failedSteps(db: Db, s: Statements, workflows: readonly string[]): Promise<string[]> {
  return (await db.query<{ id: string }>(s.wfFailedSteps, [workflows])).rows.map((r) => r.id)
}

/**
 * After a retry of failed steps: a step still waiting for one counts it as not ended again; the
 * jobs downstream that ended because of them (DependencyFailed, transitively) go back to waiting,
 * counters recounted, level by level.
 */
export async function resumeWorkflows(db: Db, s: Statements, retried: readonly string[]): Promise<void> {
  let frontier = [...retried]
  const seen = new Set(frontier)
  for (let level = 0; frontier.length > 0; level++) {
    const all = (await db.query<{ next: string[] | null }>(s.wfNext, [frontier])).rows.flatMap((r) => r.next ?? [])
    // A step still waiting for a retried job counts it as not ended again.
    if (level === 0 && all.length > 0) await db.query(s.wfWaitAgain, [all])
    const next = all.filter((id) => !seen.has(id))
    if (next.length === 0) return
    const rows = (await db.query<{ id: string; state: JobState; error: string | null }>(s.wfEnded, [next])).rows
    const back = rows.filter((r) => endedByDependency(r.state, r.error)).map((r) => r.id)
    for (const id of next) seen.add(id)
    if (back.length === 0) return
    frontier = (await db.query<{ id: string }>(s.wfRewait, [back])).rows.map((r) => r.id)
  }
}

