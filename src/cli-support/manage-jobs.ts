import { DEPENDENCY_FAILED, JOIN_TASK } from '../broker/workflow.js'
import { JOB_STATES, type AdminBroker, type JobState } from '../broker/types.js'
import { TqError, UsageError } from '../errors.js'
import { resolveJobIds } from './resolve-job-id.js'
import { announceCancelled, announceRetried } from '../app/announce.js'

/**
 * `tq retry` and `tq cancel`: resolve what was typed (ids, short ids, prefixes), act, and say
 * which ids could not be acted on and why (`refused`: unknown ids first, then those in the wrong
 * state), after the command has reported what it did do.
 */
export async function retryJobs(
  broker: AdminBroker,
  typed: readonly string[],
  opts: { failed?: boolean; queue?: string },
): Promise<{ requeued: string[]; asked: number; refused?: TqError }> {
  let ids = await resolveJobIds(broker, typed)
  if (opts.failed) ids = [...ids, ...(await broker.failedIds(opts.queue))]
  const requeued = await broker.retry(ids)
  await announceRetried(broker, requeued)
  const missed: string[] = []
  for (const id of ids.filter((i) => !requeued.includes(i))) {
    const job = await broker.getJob(id)
    // A workflow's id retries its failed steps: it is answered by those.
    if (job?.task === JOIN_TASK && job.workflowId === id && requeued.length > 0) continue
    if (job && job.error?.name === DEPENDENCY_FAILED) {
      return {
        requeued,
        asked: ids.length,
        refused: new TqError(`job ${id} never ran: a step it waits for did not succeed`, `retry that step (tq job ${id} shows the workflow), or the whole workflow: tq retry ${job.workflowId}`),
      }
    }
    // Retryable, yet not retried: another live job holds its unique key (one live job per key).
    if (job?.key && (job.state === 'failed' || job.state === 'cancelled' || job.state === 'expired')) {
      // Keys are stored per task ('<task>#<key>'): name the key as it was given.
      const key = job.key.startsWith(`${job.task}#`) ? job.key.slice(job.task.length + 1) : job.key
      return {
        requeued,
        asked: ids.length,
        refused: new TqError(`job ${id} was not retried: another live job holds its unique key ${JSON.stringify(key)}`, 'retry it once that job has ended, or enqueue it again with the same key to get the live one'),
      }
    }
    missed.push(id)
  }
  const refused = await refusal(broker, missed, 'tq jobs --state failed', 'not retryable (only failed, cancelled or expired jobs are)')
  return { requeued, asked: ids.length, refused }
}

export async function cancelJobs(broker: AdminBroker, typed: readonly string[]): Promise<{ cancelled: string[]; aborting: string[]; refused?: TqError }> {
  const ids = await resolveJobIds(broker, typed)
  const res = await broker.cancel(ids)
  await announceCancelled(broker, res.cancelled)
  const refused = await refusal(broker, ids.filter((id) => !res.cancelled.includes(id) && !res.aborting.includes(id)), 'tq jobs', 'already finished, not cancellable')
  return { ...res, refused }
}

async function refusal(broker: AdminBroker, missed: string[], listHint: string, wrongState: string): Promise<TqError | undefined> {
  if (missed.length === 0) return undefined
  const unknown: string[] = []
  for (const id of missed) if (!(await broker.getJob(id))) unknown.push(id)
  if (unknown.length) return new TqError(`no job with id ${unknown.join(', ')}`, `list jobs with ${listHint}`)
  return new TqError(`${wrongState}: ${missed.join(', ')}`, 'see tq job <id>')
}

/**
 * `tq purge` and the dashboard's purge: deletes jobs that are not running, of one queue and/or
 * state; with neither it wants `all`, rather than delete everything by omission. Returns how many.
 */
export async function purgeJobs(broker: AdminBroker, opts: PurgeOptions): Promise<number> {
  checkPurge(opts)
  return broker.purge({ queue: opts.queue, state: opts.state as JobState | undefined })
}

export interface PurgeOptions {
  queue?: string
  state?: string
  all?: boolean
}

/** The purge options' checks, alone: the CLI runs them before it opens the broker. */
export function checkPurge(opts: PurgeOptions): void {
  if (!opts.queue && !opts.state && !opts.all) throw new UsageError('purge needs --queue, --state or --all', 'tq purge --all deletes every job that is not running')
  if (opts.state !== undefined && (opts.state === 'active' || !(JOB_STATES as readonly string[]).includes(opts.state))) {
    throw new UsageError(`cannot purge state "${opts.state}"`, `use one of ${JOB_STATES.filter((s) => s !== 'active').join(', ')}`)
  }
}
