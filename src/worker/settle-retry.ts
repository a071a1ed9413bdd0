import type { Outcome, WorkerBroker } from '../broker/types.js'

/**
 * Settles a batch, trying again while the broker cannot be reached and the leases may still be
 * current (they were renewed at most a second before this, so for one lease from the first
 * failure): an outage shorter than the lease loses no outcome. A lease that did lapse meanwhile
 * is refused by the broker and reported as such; only when time runs out is the outage named.
 */
export async function settleWhileLeased(
  broker: Pick<WorkerBroker, 'settle'>,
  outcomes: Outcome[],
  leaseMs: number,
  onError?: (error: Error) => void,
): Promise<{ accepted?: boolean[]; error?: Error }> {
  let deadline: number | undefined
  for (let attempt = 0; ; attempt++) {
    try {
      return { accepted: await broker.settle(outcomes) }
    } catch (err) {
      const error = err as Error
      deadline ??= Date.now() + leaseMs
      const wait = Math.min(2000, 100 * 2 ** attempt)
      if (Date.now() + wait >= deadline) return { error }
      onError?.(new Error(`could not save the outcome of ${outcomes.length} job(s): ${error.message.split('\n')[0]}`))
      await new Promise((r) => setTimeout(r, wait))
    }
  }
}
