import type { AdminBroker } from '../broker/types.js'
import { TqError } from '../errors.js'
import { resolveJobIds } from './resolve-job-id.js'
import { announceCancelled } from '../app/announce.js'

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
  const refused = await refusal(broker, ids.filter((id) => !requeued.includes(id)), 'tq jobs --state failed', 'not retryable (only failed, cancelled or expired jobs are)')
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
