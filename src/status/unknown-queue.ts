import type { AdminBroker } from '../broker/types.js'
import { isAlive } from '../broker/worker-liveness.js'

/**
 * A note for `tq pause` / `tq resume` when no job has used `queue` and no worker takes it: most
 * likely a typo. The pause still applies (a queue may be paused before its first job), so this
 * only warns. Undefined for a known queue.
 */
export async function unknownQueueNote(broker: AdminBroker, queue: string): Promise<string | undefined> {
  const [counts, workers] = await Promise.all([broker.counts(), broker.listWorkers()])
  // A queue paused before its first job is listed by counts() with no jobs: not a use.
  const used = counts.filter((q) => Object.values(q.counts).some((n) => n > 0)).map((q) => q.queue)
  const known = new Set([...used, ...workers.filter((w) => isAlive(w)).flatMap((w) => w.queues)])
  if (known.has(queue)) return undefined
  const list = [...known].sort()
  return `no job has used queue "${queue}" yet and no worker takes it (${list.length ? `known queues: ${list.join(', ')}` : 'no queue has jobs yet'})`
}
