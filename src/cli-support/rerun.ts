import type { Client } from '../app/client.js'
import type { JobHandle } from '../app/job-handle.js'
import { FINAL_STATES, type AdminBroker } from '../broker/types.js'
import { JOIN_TASK } from '../broker/workflow.js'
import { TqError } from '../errors.js'

/**
 * Runs a finished job again as a new job: same task, payload, queue and priority, through the
 * client (so the task's schema and limits apply as to any enqueue). The old job stays as it
 * ended. A workflow's join is not a task anyone runs, so it cannot be re-run.
 */
export async function rerunJob(broker: AdminBroker, client: Client, id: string): Promise<JobHandle<unknown>> {
  const job = await broker.getJob(id)
  if (!job) throw new TqError(`no job with id ${id}`, 'list jobs with tq jobs')
  if (!FINAL_STATES.includes(job.state)) throw new TqError(`job ${id} is ${job.state}: only finished jobs can be re-run`, 'wait for it to finish, or cancel it')
  if (job.task === JOIN_TASK) throw new TqError(`job ${id} is a workflow's join, not a task`, 'enqueue the workflow again from your code')
  return client.enqueue(job.task as never, job.payload as never, { queue: job.queue, priority: job.priority })
}
