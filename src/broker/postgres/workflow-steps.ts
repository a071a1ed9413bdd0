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
  if (ids.length > 0) await release(db, s, await edgesFrom(db, s, ids))
}

/**
 * The steps after jobs deleted before they ended (purge), one entry per edge: a deleted step
 * counts as expired for them, so they end by their rules rather than wait for ever.
 */
export async function deletedSteps(db: Db, s: Statements, next: readonly string[]): Promise<void> {
  if (next.length > 0) await release(db, s, { targets: [...next], failed: next.map(() => true) })
}

/** The edges from ended jobs to the jobs after them, with whether the ended one failed. */
interface Edges {
  targets: string[]
  failed: boolean[]
}

async function edgesFrom(db: Db, s: Statements, ids: readonly string[]): Promise<Edges> {
  const rows = (await db.query<{ id: string; state: JobState; next: string[] | null }>(s.wfNext, [ids])).rows
  const edges: Edges = { targets: [], failed: [] }
  for (const r of rows) for (const n of r.next ?? []) (edges.targets.push(n), edges.failed.push(r.state !== 'succeeded'))
  return edges
}

async function release(db: Db, s: Statements, edges: Edges): Promise<void> {
  while (edges.targets.length > 0) {
    type Waiting = { id: string; task: string; pending: number; depends_on: string; input: string | null; on_dep_failure: DepFailureRule; is_join: boolean }
    const ready = (await db.query<Waiting>(s.wfDecrement, [edges.targets, edges.failed])).rows.filter((r) => r.pending <= 0)
    if (ready.length === 0) return
    const depIds = [...new Set(ready.flatMap((r) => JSON.parse(r.depends_on) as string[]))]
    const deps = new Map((await db.query<DepOutcome>(s.wfDeps, [depIds])).rows.map((d) => [d.id, d]))
    const now = Date.now()
    const cols: (string | null)[][] = [[], [], [], [], []]
    const ended: string[] = []
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
    if (ended.length === 0) return
    edges = await edgesFrom(db, s, ended)
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
 * After a retry of failed steps: the jobs downstream that ended because of them
 * (DependencyFailed, transitively) go back to waiting, and every job that left a final state
 * counts as not ended again. Walked first, written after, so no counter depends on the order the
 * graph is walked in: the steps brought back are recounted from their dependencies' states (those
 * brought back with them counted as pending), and the steps that were already waiting count each
 * job they wait for that left a final state once more.
 */
export async function resumeWorkflows(db: Db, s: Statements, retried: readonly string[]): Promise<void> {
  const seen = new Set(retried)
  const edges: string[] = []
  const back: string[] = []
  for (let frontier = [...retried]; frontier.length > 0; ) {
    const all = (await db.query<{ next: string[] | null }>(s.wfNext, [frontier])).rows.flatMap((r) => r.next ?? [])
    edges.push(...all)
    const next = [...new Set(all)].filter((id) => !seen.has(id))
    for (const id of next) seen.add(id)
    if (next.length === 0) break
    const rows = (await db.query<{ id: string; state: JobState; error: string | null }>(s.wfEnded, [next])).rows
    frontier = rows.filter((r) => endedByDependency(r.state, r.error)).map((r) => r.id)
    back.push(...frontier)
  }
  const isBack = new Set(back)
  const waitingAgain = edges.filter((id) => !isBack.has(id))
  if (waitingAgain.length > 0) await db.query(s.wfWaitAgain, [waitingAgain])
  if (back.length > 0) await db.query(s.wfRewait, [back])
}

