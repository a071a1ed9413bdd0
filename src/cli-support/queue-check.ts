import type { AdminBroker } from '../broker/types.js'
import { isAlive } from '../broker/worker-liveness.js'

/**
 * A warning when workers are running but none takes `queue` (a typo'd --queue, or a worker
 * started with other --queues): the job would wait forever. Undefined when all is well, or when
 * no worker runs at all (nothing to compare with).
 */
export async function queueWarning(broker: AdminBroker, queue: string): Promise<string | undefined> {
  const now = Date.now()
  const alive = (await broker.listWorkers()).filter((w) => isAlive(w, now))
  if (alive.length === 0 || alive.some((w) => w.queues.includes(queue))) return undefined
  const taken = [...new Set(alive.flatMap((w) => w.queues))].sort()
  return `no running worker takes queue "${queue}" (workers take: ${taken.join(', ')}); the job waits until one does`
}
