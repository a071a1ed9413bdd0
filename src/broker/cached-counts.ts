import type { AdminBroker, QueueCounts } from './types.js'

/**
 * Queue counts for metrics, read from the broker at most once per `maxAgeMs` however many
 * scrapers (Prometheus, an OpenTelemetry reader) ask; concurrent asks share one read.
 */
export function cachedCounts(broker: Pick<AdminBroker, 'counts'>, maxAgeMs = 1000): () => Promise<QueueCounts[]> {
  let at = -Infinity
  let last: Promise<QueueCounts[]> | undefined
  return () => {
    const now = performance.now()
    if (!last || now - at > maxAgeMs) {
      at = now
      const p = broker.counts()
      last = p
      p.catch(() => {
        if (last === p) last = undefined
      })
    }
    return last
  }
}
