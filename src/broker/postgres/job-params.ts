import type { NewJob, Outcome } from '../types.js'

/** Times go into bigint columns: a fraction of a millisecond (a computed delay) is rounded off. */
export const wholeMs = (t: number | null | undefined): number | null => (t == null ? null : Math.round(t))

/** Separates the ids of a step's `next` in one text value (ids never hold control characters). */
export const NEXT_SEPARATOR = '\u001f'

/**
 * The enqueue statement's parallel arrays (see insertJobs in ./sql.ts), one entry per job, in
 * order. Arrays of text and numbers bind as a handful of parameters whatever the batch size, so
 * one statement inserts a whole batch. `next` travels as one separated text (arrays of arrays
 * must be rectangular in Postgres). A column that no job of the batch sets (the workflow columns,
 * keys, parents, headers of a plain batch) is sent as NULL rather than as an array of NULLs:
 * node-postgres writes each array element in JavaScript, and unnest() pads a NULL array anyway.
 */
export function enqueueParams(jobs: readonly NewJob[], ids: readonly string[]): unknown[] {
  const n = jobs.length
  const cols: (unknown[] | null)[] = Array.from({ length: 19 }, () => new Array<unknown>(n))
  /** Which of the columns from 7 on some job sets. */
  const used = new Array<boolean>(19).fill(false)
  const set = (c: number, i: number, v: unknown): void => {
    cols[c]![i] = v
    if (v !== null) used[c] = true
  }
  for (let i = 0; i < n; i++) {
    const j = jobs[i]!
    const step = j.step
    cols[0]![i] = ids[i]
    cols[1]![i] = j.task
    cols[2]![i] = j.queue
    cols[3]![i] = j.payload
    cols[4]![i] = j.priority
    cols[5]![i] = j.maxAttempts
    cols[6]![i] = wholeMs(j.runAt)
    set(7, i, j.key ?? null)
    set(8, i, j.parentId ?? null)
    set(9, i, wholeMs(j.expiresAt))
    set(10, i, step?.workflowId ?? null)
    set(11, i, step && step.dependsOn.length > 0 ? JSON.stringify(step.dependsOn) : null)
    set(12, i, step && step.next.length > 0 ? step.next.join(NEXT_SEPARATOR) : null)
    set(13, i, step?.input ? JSON.stringify(step.input) : null)
    set(14, i, step?.onDepFailure ?? null)
    set(15, i, step ? (step.join ?? false) : null)
    set(16, i, wholeMs(step?.delayMs))
    set(17, i, step ? step.dependsOn.length : null)
    set(18, i, j.headers ?? null)
  }
  for (let c = 7; c < 19; c++) if (!used[c]) cols[c] = null
  return cols
}

/** A settle call's parallel arrays (see S.settle in ./functions.ts). */
export function settleParams(outcomes: readonly Outcome[]): unknown[] {
  const ids: string[] = []
  const tokens: number[] = []
  const kinds: string[] = []
  const results: (string | null)[] = []
  const errors: (string | null)[] = []
  const runAts: (number | null)[] = []
  const resultExpires: (number | null)[] = []
  for (const o of outcomes) {
    ids.push(o.id)
    tokens.push(o.token)
    kinds.push(o.kind)
    results.push(o.kind === 'succeeded' ? (o.result ?? null) : null)
    errors.push((o.kind === 'failed' || o.kind === 'cancelled') && o.error ? JSON.stringify(o.error) : null)
    runAts.push(wholeMs(o.kind === 'failed' ? o.retryAt : o.kind === 'retry' || o.kind === 'released' ? o.runAt : null))
    resultExpires.push(o.kind === 'succeeded' ? wholeMs(o.resultExpiresAt) : null)
  }
  return [ids, tokens, kinds, results, errors, runAts, resultExpires]
}
