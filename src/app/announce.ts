import type { EnqueueResult, JobJSON, NewJob, ProducerBroker, TqEvent } from '../broker/types.js'

/** `enqueued` events for the jobs an enqueue created (not those it found existing). */
export function enqueuedEvents(jobs: readonly NewJob[], results: readonly EnqueueResult[], at = Date.now()): TqEvent[] {
  const out: TqEvent[] = []
  for (let i = 0; i < jobs.length; i++) {
    if (results[i]?.created) out.push({ type: 'enqueued', at, id: results[i]!.id, task: jobs[i]!.task, queue: jobs[i]!.queue })
  }
  return out
}

/**
 * `retried` events for jobs put back on their queue by hand (`tq retry`, the dashboard): no error
 * and no worker, due now. Best effort: never throws.
 */
export function announceRetried(broker: ProducerBroker, ids: readonly string[]): Promise<void> {
  return announceJobs(broker, ids, (job, at) => ({ type: 'retried', attempt: job?.attempt, retryAt: at }))
}

/**
 * `cancelled` events for jobs a cancel ended before they started (a running job's cancel is
 * announced by the worker that aborts it). Best effort: never throws.
 */
export function announceCancelled(broker: ProducerBroker, ids: readonly string[]): Promise<void> {
  return announceJobs(broker, ids, () => ({ type: 'cancelled' }))
}

/** One event per job, its task and queue read from the broker; only when someone listens. */
async function announceJobs(
  broker: ProducerBroker,
  ids: readonly string[],
  event: (job: JobJSON | null, at: number) => Pick<TqEvent, 'type'> & Partial<TqEvent>,
): Promise<void> {
  if (ids.length === 0) return
  try {
    // With nobody listening (the broker knows), no job is even read.
    if (!(await broker.publishEvents([]))) return
    const at = Date.now()
    const events: TqEvent[] = []
    for (const id of ids) {
      const job = await broker.getJob(id)
      events.push({ at, id, task: job?.task, queue: job?.queue, ...event(job, at) })
    }
    await broker.publishEvents(events)
  } catch {
    /* events are best effort */
  }
}
