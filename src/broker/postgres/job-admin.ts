import type { CancelResult } from '../types.js'
import type { Db } from './connection.js'
import type { Statements } from './sql.js'
import { cancelWorkflows, endedJobs, failedSteps, resumeWorkflows, workflowIds } from './workflow-steps.js'

/**
 * `tq cancel` and `tq retry` on Postgres, each in the caller's transaction. A workflow's id (its
 * join's) stands for the workflow: cancel ends every step of it that has not ended, retry puts
 * its failed steps back, and the workflow resumes from them.
 */
export async function cancelJobs(db: Db, s: Statements, ids: readonly string[]): Promise<CancelResult> {
  const workflows = await workflowIds(db, s, ids)
  const out = workflows.size > 0 ? await cancelWorkflows(db, s, [...workflows]) : { cancelled: [], aborting: [] }
  const plain = ids.filter((id) => !workflows.has(id))
  const cancelled = (await db.query<{ id: string; has_next: boolean }>(s.cancelWaiting, [plain])).rows
  out.aborting.push(...(await db.query<{ id: string }>(s.flagActiveCancel, [plain])).rows.map((r) => r.id))
  out.cancelled.push(...cancelled.map((r) => r.id))
  // A step cancelled on its own ends: the steps after it learn of it in this transaction.
  await endedJobs(db, s, cancelled.filter((r) => r.has_next).map((r) => r.id))
  if (workflows.size > 0) await db.query(s.notify)
  return out
}

export async function retryJobs(db: Db, s: Statements, ids: readonly string[]): Promise<string[]> {
  const workflows = await workflowIds(db, s, ids)
  const steps = new Map<string, string[]>()
  if (workflows.size > 0) for (const w of workflows) steps.set(w, await failedSteps(db, s, [w]))
  const asked = ids.flatMap((id) => steps.get(id) ?? [id])
  const done = new Set((await db.query<{ id: string }>(s.retry, [asked])).rows.map((x) => x.id))
  await resumeWorkflows(db, s, [...done])
  return asked.filter((id) => done.has(id))
}
