import { claimedFromFields, FIELD_SEPARATOR } from '../packed-job.js'
import type { ClaimedJob } from '../types.js'

/**
 * The claim and fast-settle statements (./sql.ts) answer in one text value per job (claim) or per
 * call (settle), which this file reads back. Measured on this machine: node-postgres spends about
 * 3.5 µs per claimed job reading sixteen named columns (a value, a type parser and an object
 * property each), 1.5 µs reading one joined value and splitting it; the server's work is the same.
 */


/** A claim's rows, sorted out: the jobs to run, those found past their deadline, and when the next delayed job is due. */
export interface ClaimRows {
  jobs: ClaimedJob[]
  /** Past their deadline: the claim ended them `expired`. */
  expired: { id: string; task: string; queue: string }[]
  /** Past their deadline but waited for by other steps: left queued for the client to expire with their cascade. */
  deferred: string[]
  /** The earliest run time of the queues' delayed jobs, when the claim got fewer jobs than asked. */
  nextRunAt: number | null
  /** Of `jobs`, those an enqueue handed to the worker (./hand-off.ts), as 'id:token'. */
  handed: string[]
}

/** Fields before the payload: id, task, queue, attempt, max_attempts, token, priority, run_at, created_at, parent_id, workflow_id, headers, flag. */
const FIELDS = 13

export function readClaimRows(rows: readonly [string][]): ClaimRows {
  const out: ClaimRows = { jobs: [], expired: [], deferred: [], nextRunAt: null, handed: [] }
  for (const [text] of rows) {
    const f = text.split(FIELD_SEPARATOR)
    if (f.length === 1) {
      // The drained claim's last row: the next run time, or nothing scheduled.
      out.nextRunAt = text === '' ? null : Number(text)
      continue
    }
    const id = f[0]!
    const flag = f[12]
    if (flag === 'd') {
      out.deferred.push(id)
      continue
    }
    if (flag === 'x') {
      out.expired.push({ id, task: f[1]!, queue: f[2]! })
      continue
    }
    if (flag === 'h') out.handed.push(`${id}:${f[5]}`)
    // A payload holding the separator itself (JSON text never does) was split too: joined back.
    out.jobs.push(claimedFromFields(f, f.length === FIELDS + 1 ? f[FIELDS]! : f.slice(FIELDS).join(FIELD_SEPARATOR)))
  }
  return out
}

/**
 * The fast settle's answer ("1,2,-3,5"): which outcomes (0-based) were applied, and which were
 * left for the client's transaction (a minus sign). NULL when none was applied.
 */
export function readSettled(text: string | null, n: number): { accepted: boolean[]; deferred: number[] } {
  const accepted = new Array<boolean>(n).fill(false)
  const deferred: number[] = []
  if (text) {
    for (const part of text.split(',')) {
      const ord = Number(part)
      if (ord < 0) deferred.push(-ord - 1)
      else accepted[ord - 1] = true
    }
  }
  return { accepted, deferred }
}
