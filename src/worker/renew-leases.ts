import type { WorkerBroker } from '../broker/types.js'
import type { Running } from './running.js'

/** Why a running job is stopped on the engine's side (see WorkerEngine.stopJob). */
type Stop = (r: Running, reason: 'cancelled' | 'lease-lost', message: string) => void

/**
 * Keeps the leases of running jobs alive in one broker call, and stops the jobs whose
 * cancellation was asked for or whose lease was lost (another worker may run them now).
 */
export async function renewLeases(broker: Pick<WorkerBroker, 'renew'>, running: ReadonlyMap<string, Running>, leaseMs: number, stop: Stop): Promise<void> {
  if (running.size === 0) return
  const leases = [...running.values()].map((r) => ({ id: r.job.id, token: r.job.token }))
  try {
    const renewed = await broker.renew(leases, leaseMs)
    const cancelled = new Set(renewed.cancelRequested)
    for (const id of cancelled) {
      const r = running.get(id)
      if (r) stop(r, 'cancelled', 'cancelled')
    }
    for (const id of renewed.lost) {
      const r = running.get(id)
      if (r && !cancelled.has(id)) stop(r, 'lease-lost', 'lease lost: another worker may run this job')
    }
  } catch {
    /* broker unreachable: try again next tick; the lease has margin */
  }
}
