import { UsageError } from '../../errors.js'
import { FINAL_STATES, JOB_STATES, type JobFilter, type JobState } from '../types.js'
import { JOB_COLUMNS as COLUMNS } from './sql.js'

const FINISHED = new Set<JobState>(FINAL_STATES)

/**
 * The SELECT for a listing, newest first, and its parameters. A state is written into the SQL as
 * a literal (only known states get this far) so the planner can match the partial index that
 * holds it (jobs_ready, jobs_due, jobs_active); finished states are listed by finish time from
 * jobs_done.
 */
export function listQuery(schema: string, filter: JobFilter): { sql: string; params: unknown[] } {
  const where: string[] = []
  const params: unknown[] = []
  const param = (v: unknown) => (params.push(v), `$${params.length}`)
  if (filter.state) {
    if (!(JOB_STATES as readonly string[]).includes(filter.state)) throw new UsageError(`unknown job state "${filter.state}"`, `use one of ${JOB_STATES.join(', ')}`)
    where.push(`state = '${filter.state}'`)
  }
  const finished = filter.state !== undefined && FINISHED.has(filter.state)
  if (finished) where.push('finished_at IS NOT NULL')
  if (filter.queue) where.push(`queue = ${param(filter.queue)}`)
  if (filter.task) where.push(`task = ${param(filter.task)}`)
  if (filter.workflowId) where.push(`workflow_id = ${param(filter.workflowId)}`)
  const order = finished ? 'finished_at DESC, seq DESC' : 'seq DESC'
  const limit = param(filter.limit ?? 100)
  // A page reads the same index as the first one and skips what came before (cost: the skipped rows).
  const offset = param(Math.max(0, Math.floor(filter.offset ?? 0)))
  return { sql: `SELECT ${COLUMNS} FROM ${schema}.jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, params }
}
