import { cachedCounts } from '../broker/cached-counts.js'
import type { AdminBroker } from '../broker/types.js'
import type { MetricsServer } from '../metrics/server.js'
import type { WorkerEngine } from '../worker/engine.js'

/** Starts the --metrics server for a worker made later (`engine()` is undefined until then). prom-client loads here, on demand. */
export async function startMetrics(address: string, broker: AdminBroker, engine: () => WorkerEngine | undefined): Promise<MetricsServer> {
  const { startMetricsServer } = await import('../metrics/server.js')
  return startMetricsServer(address, {
    worker: () => engine()?.id ?? '',
    busy: () => engine()?.busy ?? 0,
    slots: () => engine()?.concurrency ?? 0,
    counts: cachedCounts(broker),
  })
}
