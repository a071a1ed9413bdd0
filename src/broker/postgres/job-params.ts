import type { NewJob } from '../types.js'

/** Separates the ids of a step's `next` in one text value (ids never hold control characters). */
export const NEXT_SEPARATOR = '\u001f'

/**
 * The enqueue statement's parallel arrays (see STATEMENTS.enqueue), one entry per job, in order.
 * Arrays of text and numbers bind as a handful of parameters whatever the batch size, so one
 * statement inserts a whole batch. `next` travels as one separated text (arrays of arrays must
 * be rectangular in Postgres).
 */
export function enqueueParams(jobs: readonly NewJob[], ids: readonly string[]): unknown[] {
  const n = jobs.length
  const cols = Array.from({ length: 19 }, () => new Array<unknown>(n))
  for (let i = 0; i < n; i++) {
    const j = jobs[i]!
    const step = j.step
    cols[0]![i] = ids[i]
    cols[1]![i] = j.task
    cols[2]![i] = j.queue
    cols[3]![i] = j.payload
    cols[4]![i] = j.priority
    cols[5]![i] = j.maxAttempts
    cols[6]![i] = j.runAt
    cols[7]![i] = j.key ?? null
    cols[8]![i] = j.parentId ?? null
    cols[9]![i] = j.expiresAt ?? null
    cols[10]![i] = step?.workflowId ?? null
    cols[11]![i] = step && step.dependsOn.length > 0 ? JSON.stringify(step.dependsOn) : null
    cols[12]![i] = step && step.next.length > 0 ? step.next.join(NEXT_SEPARATOR) : ''
    cols[13]![i] = step?.input ? JSON.stringify(step.input) : null
    cols[14]![i] = step?.onDepFailure ?? null
    cols[15]![i] = step?.join ?? false
    cols[16]![i] = step?.delayMs ?? null
    cols[17]![i] = step?.dependsOn.length ?? 0
    cols[18]![i] = j.headers ?? null
  }
  return cols
}
