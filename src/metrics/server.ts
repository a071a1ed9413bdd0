import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { TqError } from '../errors.js'
import type { EngineEvent } from '../worker/events.js'
import { parseMetricsAddress } from './address.js'
import { PrometheusMetrics, type WorkerGauges } from './prometheus.js'

export interface MetricsServer {
  /** Where Prometheus scrapes, e.g. http://127.0.0.1:9464/metrics. */
  url: string
  observe(e: EngineEvent): void
  close(): Promise<void>
}

/**
 * `tq worker --metrics` / `tq dev --metrics`: serves GET /metrics in the Prometheus text format.
 * prom-client is imported here, so a worker without --metrics never loads it.
 */
export async function startMetricsServer(address: string, gauges: WorkerGauges): Promise<MetricsServer> {
  const { host, port } = parseMetricsAddress(address)
  const prom = await import('prom-client')
  const metrics = new PrometheusMetrics(prom.default ?? prom, gauges)
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape /metrics\n')
      return
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new TqError(`cannot serve metrics on ${address}: ${err.code ?? err.message}`, err.code === 'EADDRINUSE' ? 'pick another port for --metrics' : 'check the --metrics address')),
    )
    server.listen(port, host, () => resolve())
  })
  const a = server.address() as AddressInfo
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    url: `http://${shown}:${a.port}/metrics`,
    observe: (e) => metrics.observe(e),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
