import type { EnqueueResult, NewJob, ProducerBroker, TqEvent } from '../broker/types.js'

/** `enqueued` events for the jobs an enqueue created (not those it found existing). */
export function enqueuedEvents(jobs: readonly NewJob[], results: readonly EnqueueResult[], at = Date.now()): TqEvent[] {
  const out: TqEvent[] = []
  for (let i = 0; i < jobs.length; i++) {
    if (results[i]?.created) out.push({ type: 'enqueued', at, id: results[i]!.id, task: jobs[i]!.task, queue: jobs[i]!.queue })
  }
  return out
}

/**
 * `cancelled` events for jobs a cancel ended before they started (a running job's cancel is
 * announced by the worker that aborts it). Best effort: never throws.
 */
export async function announceCancelled(broker: ProducerBroker, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  try {
    const at = Date.now()
    const events: TqEvent[] = []
    for (const id of ids) {
      const job = await broker.getJob(id)
      events.push({ type: 'cancelled', at, id, task: job?.task, queue: job?.queue })
    }
    await broker.publishEvents(events)
  } catch {
    /* events are best effort */
  }
}
