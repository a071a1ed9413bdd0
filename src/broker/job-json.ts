import type { JobError, JobJSON, JobState } from './types.js'

/** Fields every broker stores for a job, in storage form (JSON text, epoch ms). */
export interface StoredJob {
  id: string
  task: string
  queue: string
  state: string
  payload: string
  priority: number
  attempt: number
  max_attempts: number
  created_at: number
  run_at: number
  started_at: number | null
  finished_at: number | null
  result: string | null
  error: string | null
  errors: string | null
  progress: string | null
  parent_id: string | null
  key: string | null
  /** Workflow steps only: the join's id, and the JSON list of ids the step waits for. */
  workflow_id?: string | null
  depends_on?: string | null
  /** Propagation headers as JSON text (NewJob.headers). */
  headers?: string | null
}

const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(Number(ms)).toISOString())
const parse = (text: string | null | undefined): unknown => (text == null || text === '' ? null : JSON.parse(text))

/** Storage form to the JSON users see (SPEC "Job states and JSON"). */
export function toJobJSON(row: StoredJob): JobJSON {
  return {
    id: row.id,
    task: row.task,
    queue: row.queue,
    state: row.state as JobState,
    payload: parse(row.payload),
    priority: Number(row.priority),
    attempt: Number(row.attempt),
    maxAttempts: Number(row.max_attempts),
    createdAt: iso(row.created_at)!,
    runAt: iso(row.run_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    result: parse(row.result),
    error: parse(row.error) as JobError | null,
    progress: parse(row.progress),
    parentId: row.parent_id ?? null,
    key: row.key ?? null,
    errors: (parse(row.errors) as JobError[] | null) ?? [],
    workflowId: row.workflow_id ?? null,
    dependsOn: (parse(row.depends_on) as string[] | null) ?? [],
    ...(row.headers ? { headers: parse(row.headers) as Record<string, string> } : {}),
  }
}

/** Counts with every state present, for stable JSON. */
export function emptyCounts(): Record<JobState, number> {
  return { waiting: 0, scheduled: 0, queued: 0, active: 0, succeeded: 0, failed: 0, cancelled: 0, expired: 0 }
}
