import type { EventsBroker, TqEvent } from '../broker/types.js'

export interface EventFilter {
  /** Only events of these tasks (worker events always pass). */
  tasks?: readonly string[]
  queues?: readonly string[]
}

/** Whether an event passes `tq events --task/--queue`; worker events pass unless a filter names jobs only. */
export function passes(e: TqEvent, f: EventFilter): boolean {
  if (e.type === 'worker-online' || e.type === 'worker-offline') return true
  if (f.tasks?.length && !(e.task !== undefined && f.tasks.includes(e.task))) return false
  if (f.queues?.length && !(e.queue !== undefined && f.queues.includes(e.queue))) return false
  return true
}

/**
 * `tq events`: subscribes (resolving once the subscription is in place) and passes each event
 * that matches the filter to `print`, until `signal` aborts.
 */
export async function watchEvents(broker: Pick<EventsBroker, 'subscribeEvents'>, filter: EventFilter, print: (e: TqEvent) => void, signal: AbortSignal): Promise<void> {
  await broker.subscribeEvents((events) => {
    for (const e of events) if (passes(e, filter)) print(e)
  }, signal)
}
