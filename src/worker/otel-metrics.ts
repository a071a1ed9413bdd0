import type { Attributes } from '@opentelemetry/api'
import type { QueueCounts } from '../broker/types.js'
import { MESSAGING_SYSTEM } from '../util/tracing.js'
import type { EngineEvent } from './events.js'

/**
 * A worker's metrics through the OpenTelemetry metrics API (the messaging conventions' consumed
 * messages and process duration, plus queue depth by state and busy slots). With no SDK the
 * meter is a no-op; made only when an SDK registered something (see util/tracing.ts), so a worker
 * with no SDK does not even load the API.
 */
export class OtelWorkerMetrics {
  private readonly meter
  private readonly consumed
  private readonly duration

  constructor(
    api: typeof import('@opentelemetry/api'),
    counts: () => Promise<QueueCounts[]>,
    busy: () => number,
    slots: () => number,
    worker: () => string,
  ) {
    this.meter = api.metrics.getMeter('tqjs')
    this.consumed = this.meter.createCounter('messaging.client.consumed.messages', { unit: '{message}', description: 'Jobs handed to this worker (each attempt)' })
    this.duration = this.meter.createHistogram('messaging.process.duration', { unit: 's', description: 'How long attempts ran' })
    this.meter.createObservableGauge('tq.queue.depth', { unit: '{job}', description: 'Jobs by queue and state' }).addCallback(async (r) => {
      for (const q of await counts().catch(() => [])) {
        for (const [state, n] of Object.entries(q.counts)) r.observe(n, { 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': q.queue, 'tq.state': state })
      }
    })
    this.meter.createObservableGauge('tq.worker.busy_slots', { unit: '{slot}', description: 'Jobs running now' }).addCallback((r) => r.observe(busy(), { 'tq.worker': worker() }))
    this.meter.createObservableGauge('tq.worker.slots', { unit: '{slot}', description: 'Jobs the worker may run at once' }).addCallback((r) => r.observe(slots(), { 'tq.worker': worker() }))
  }

  onEvent(e: EngineEvent): void {
    if (e.type !== 'started' && e.type !== 'succeeded' && e.type !== 'failed') return
    const attrs: Attributes = { 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': e.job.queue, 'messaging.operation.name': 'process', 'tq.task': e.job.task }
    if (e.type === 'started') return this.consumed.add(1, attrs)
    if (e.type === 'failed') attrs['error.type'] = e.error.name ?? 'Error'
    this.duration.record(e.ms / 1000, attrs)
  }
}
