import type { ClaimedJob } from './types.js'

/**
 * Claimed jobs travel from the Redis and Postgres brokers as one text each: the fields joined by
 * this separator, the payload last (a client reads one value and splits it, rather than a value,
 * a parser and a property per field). Ids, task and queue names are checked, numbers are numbers
 * and headers are JSON, so none holds a raw control character; the payload is whatever follows.
 */
export const FIELD_SEPARATOR = '\u001f'

/**
 * A claimed job from its packed fields, in this order: id, task, queue, attempt, max_attempts,
 * token, priority, run_at, created_at, parent_id, workflow_id, headers ('' = none for the last three).
 */
export function claimedFromFields(f: readonly string[], payload: string): ClaimedJob {
  return {
    id: f[0]!,
    task: f[1]!,
    queue: f[2]!,
    payload,
    attempt: Number(f[3]),
    maxAttempts: Number(f[4]),
    token: Number(f[5]),
    priority: Number(f[6]),
    runAt: Number(f[7]),
    createdAt: Number(f[8]),
    parentId: f[9] || null,
    workflowId: f[10] || null,
    headers: f[11] || null,
  }
}
