import { UsageError } from '../../errors.js'
import { FINAL_STATES, JOB_STATES, type JobFilter, type JobState } from '../types.js'

/**
 * Listing a state reads only the jobs of that state. Without table statistics SQLite would scan
 * the whole table backwards for `state = ? ORDER BY seq DESC`: with a million finished jobs,
 * 100 ms to find the few running ones. So finished states are listed by finish time, straight
 * from `jobs_done`, and live states are read from their partial index, then sorted (a backlog
 * of a million queued jobs makes that sort slow, but not a listing of anything else).
 */
const FINISHED = new Set<JobState>(FINAL_STATES)
/** The partial index holding each live state's jobs: a listing reads it, then sorts. */
const LIVE_INDEX: Partial<Record<JobState, string>> = { waiting: 'jobs_waiting', queued: 'jobs_ready', scheduled: 'jobs_due', active: 'jobs_active' }
function stateLiteral(state: string): string {
  if (!(JOB_STATES as readonly string[]).includes(state)) throw new UsageError(`unknown job state "${state}"`, `use one of ${JOB_STATES.join(', ')}`)
  return state
}

/** The SELECT for a listing, newest first, and its parameters. */
export function listQuery(filter: JobFilter): { sql: string; params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = { limit: filter.limit ?? 100, offset: Math.max(0, Math.floor(filter.offset ?? 0)) }
  const finished = filter.state !== undefined && FINISHED.has(filter.state)
  // The state is written into the SQL, not bound: SQLite uses a partial index (WHERE state =
  // 'active') only when it sees the literal. Only known states get this far.
  if (filter.state) where.push(`state = '${stateLiteral(filter.state)}'`)
  // Implied by a finished state; stated so that SQLite may use the partial index jobs_done.
  if (finished) where.push('finished_at IS NOT NULL')
  if (filter.queue) (where.push('queue = @queue'), (params.queue = filter.queue))
  if (filter.task) (where.push('task = @task'), (params.task = filter.task))
  if (filter.workflowId) (where.push('workflow_id = @workflowId'), (params.workflowId = filter.workflowId))
  // A workflow's steps come from its own index, whatever else is asked.
  const index = filter.workflowId ? 'jobs_workflow' : filter.state ? LIVE_INDEX[filter.state] : undefined
  const from = index ? `jobs INDEXED BY ${index}` : 'jobs'
  const order = finished ? 'finished_at DESC, seq DESC' : 'seq DESC'
  const tail = `ORDER BY ${order} LIMIT @limit OFFSET @offset`
  if (index === 'jobs_ready') {
    // Queued jobs are in the ready index, or arrivals not entered yet (the rows above index_mark;
    // see arrivals.ts). One statement, so one snapshot: a row entered meanwhile is in one part.
    const cond = where.join(' AND ')
    return {
      sql: `SELECT * FROM (SELECT * FROM jobs INDEXED BY jobs_ready WHERE ${cond} AND indexed = 1
                           UNION ALL SELECT * FROM jobs WHERE seq > (SELECT seq FROM index_mark) AND indexed = 0 AND ${cond}) ${tail}`,
      params,
    }
  }
  return { sql: `SELECT * FROM ${from} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ${tail}`, params }
}
