/**
 * Jobs as the API hands them out. A listing carries summaries (no payload or result: a page of
 * fifty jobs must not carry fifty payloads of a megabyte); one job carries everything, plus its
 * children and, for a workflow step, every step of its workflow for the graph.
 */
import type { AdminBroker, JobJSON } from '../broker/types.js'
import { lastError } from '../format/last-error.js'

/** A job without its payload, result, key, headers and error history: what a listing shows. */
export interface JobSummary
  extends Pick<JobJSON, 'id' | 'task' | 'queue' | 'state' | 'priority' | 'attempt' | 'maxAttempts' | 'createdAt' | 'runAt' | 'startedAt' | 'finishedAt' | 'progress' | 'parentId' | 'workflowId' | 'dependsOn'> {
  /** The error the latest outcome ended with (see lastError), without its stack. */
  error: { name: string; message: string } | null
}

export function summary(j: JobJSON): JobSummary {
  const e = lastError(j)
  return {
    id: j.id,
    task: j.task,
    queue: j.queue,
    state: j.state,
    priority: j.priority,
    attempt: j.attempt,
    maxAttempts: j.maxAttempts,
    createdAt: j.createdAt,
    runAt: j.runAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    progress: j.progress,
    error: e ? { name: e.name ?? 'Error', message: e.message } : null,
    parentId: j.parentId,
    workflowId: j.workflowId ?? null,
    dependsOn: j.dependsOn ?? [],
  }
}

/** Most steps of one workflow the graph draws. */
export const WORKFLOW_STEPS = 1000

export interface JobPage {
  job: JobJSON
  children: JobSummary[]
  /** Every step of the job's workflow (its join included), or null outside workflows. */
  workflow: { id: string; steps: JobSummary[] } | null
}

/** One job with what its page shows; null when there is no such job. */
export async function readJobPage(broker: AdminBroker, id: string): Promise<JobPage | null> {
  const job = await broker.getJob(id)
  if (!job) return null
  const [children, workflow] = await Promise.all([broker.children(id), job.workflowId ? workflowSteps(broker, job.workflowId) : null])
  return { job, children: children.map(summary), workflow }
}

/** A workflow's steps: listed by the broker's workflow filter, plus the join (the workflow's own id). */
export async function workflowSteps(broker: AdminBroker, workflowId: string): Promise<{ id: string; steps: JobSummary[] }> {
  const [listed, join] = await Promise.all([broker.listJobs({ workflowId, limit: WORKFLOW_STEPS }), broker.getJob(workflowId)])
  const steps = new Map<string, JobSummary>()
  for (const j of listed) steps.set(j.id, summary(j))
  if (join) steps.set(join.id, summary(join))
  return { id: workflowId, steps: [...steps.values()] }
}
