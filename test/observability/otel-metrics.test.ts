/**
 * The OpenTelemetry metrics a worker records, read back through the SDK's own reader: consumed
 * messages, process duration (with error.type on failures), queue depth by state, busy and total
 * slots; and a producer's sent messages.
 */
import { metrics } from '@opentelemetry/api'
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { countSent, loadOtel, otelMetricsRegistered } from '../../src/util/tracing.js'
import { OtelWorkerMetrics } from '../../src/worker/otel-metrics.js'
import type { ClaimedJob } from '../../src/broker/types.js'
import { emptyCounts } from '../../src/broker/job-json.js'

class Reader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const job = (task: string): ClaimedJob => ({ id: `id-${task}`, task, queue: 'emails', payload: '{}', attempt: 1, maxAttempts: 1, token: 1, priority: 0, runAt: 0, createdAt: 0, parentId: null })

describe('OpenTelemetry metrics', () => {
  afterEach(() => metrics.disable())

  it('records consumed messages, durations, queue depth and slots through a registered MeterProvider', async () => {
    const reader = new Reader()
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))
    const api = (await loadOtel())!
    expect(api).toBeDefined()
    const counts = emptyCounts()
    counts.queued = 7
    counts.failed = 2
    const m = new OtelWorkerMetrics(api, async () => [{ queue: 'emails', paused: false, counts }], () => 3, () => 10, () => 'w1')
    m.onEvent({ type: 'started', job: job('send') })
    m.onEvent({ type: 'started', job: job('send') })
    m.onEvent({ type: 'succeeded', job: job('send'), ms: 20 })
    m.onEvent({ type: 'failed', job: job('send'), ms: 40, error: { name: 'TypeError', message: 'x' } })
    countSent('emails', 5)

    const { resourceMetrics } = await reader.collect()
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics)
    const byName = (n: string) => all.find((x) => x.descriptor.name === n)!
    const points = (n: string) => byName(n).dataPoints as DataPoint<number>[]
    expect(points('messaging.client.consumed.messages')[0]!.value).toBe(2)
    expect(points('messaging.client.consumed.messages')[0]!.attributes).toMatchObject({ 'messaging.system': 'tq', 'messaging.destination.name': 'emails', 'tq.task': 'send' })
    expect(points('messaging.client.sent.messages')[0]!.value).toBe(5)
    const durations = byName('messaging.process.duration').dataPoints as DataPoint<Histogram>[]
    expect(durations.map((d) => d.value.count).reduce((a, b) => a + b)).toBe(2)
    expect(durations.find((d) => d.attributes['error.type'] === 'TypeError')!.value.sum).toBeCloseTo(0.04)
    const depth = points('tq.queue.depth')
    expect(depth.find((d) => d.attributes['tq.state'] === 'queued')!.value).toBe(7)
    expect(depth.find((d) => d.attributes['tq.state'] === 'failed')!.value).toBe(2)
    expect(points('tq.worker.busy_slots')[0]!.value).toBe(3)
    expect(points('tq.worker.slots')[0]!).toMatchObject({ value: 10, attributes: { 'tq.worker': 'w1' } })
  })

  it('tells whether a MeterProvider is registered (a worker with only a tracer builds no metrics per job)', () => {
    expect(otelMetricsRegistered()).toBe(false)
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new Reader()] }))
    expect(otelMetricsRegistered()).toBe(true)
    metrics.disable()
    expect(otelMetricsRegistered()).toBe(false)
  })
})
