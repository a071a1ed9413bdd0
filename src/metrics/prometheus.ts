import type { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { QueueCounts } from '../broker/types.js'
import type { EngineEvent } from '../worker/events.js'

/** What the metrics read from the worker at scrape time. */
export interface WorkerGauges {
  worker: () => string
  busy: () => number
  slots: () => number
  counts: () => Promise<QueueCounts[]>
}

/** Attempt durations (seconds): from a millisecond no-op to a ten-minute report. */
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600]

/**
 * A worker's Prometheus metrics (prom-client, loaded only with --metrics): counts kept in this
 * process from the engine's events, queue depth and slots read at scrape time. Every series has
 * a `worker` label, so several workers scraped into one Prometheus stay apart.
 */
export class PrometheusMetrics {
  readonly registry: Registry
  private readonly jobs: Counter<'task' | 'queue' | 'outcome' | 'worker'>
  private readonly retries: Counter<'task' | 'queue' | 'worker'>
  private readonly duration: Histogram<'task' | 'queue' | 'outcome' | 'worker'>

  constructor(
    prom: typeof import('prom-client'),
    private readonly gauges: WorkerGauges,
  ) {
    const registry = new prom.Registry()
    this.registry = registry
    this.jobs = new prom.Counter({ name: 'tq_jobs_total', help: 'Attempts ended, by task, queue and outcome (succeeded, failed, retried, cancelled, expired)', labelNames: ['task', 'queue', 'outcome', 'worker'], registers: [registry] })
    this.retries = new prom.Counter({ name: 'tq_retries_total', help: 'Attempts that failed and were scheduled to run again', labelNames: ['task', 'queue', 'worker'], registers: [registry] })
    this.duration = new prom.Histogram({ name: 'tq_attempt_duration_seconds', help: 'How long attempts ran, by task, queue and outcome', labelNames: ['task', 'queue', 'outcome', 'worker'], buckets: BUCKETS, registers: [registry] })
    const depth: Gauge<'queue' | 'state'> = new prom.Gauge({
      name: 'tq_queue_jobs',
      help: 'Jobs by queue and state (from the broker, at most once a second)',
      labelNames: ['queue', 'state'],
      registers: [registry],
      async collect() {
        this.reset()
        for (const q of await gauges.counts().catch(() => [])) for (const [state, n] of Object.entries(q.counts)) if (Number.isFinite(n)) this.set({ queue: q.queue, state }, n)
      },
    })
    void depth
    new prom.Gauge({ name: 'tq_worker_busy_slots', help: 'Jobs this worker is running now', labelNames: ['worker'], registers: [registry], collect() { this.reset(); this.set({ worker: gauges.worker() }, gauges.busy()) } })
    new prom.Gauge({ name: 'tq_worker_slots', help: 'Jobs this worker may run at once (concurrency)', labelNames: ['worker'], registers: [registry], collect() { this.reset(); this.set({ worker: gauges.worker() }, gauges.slots()) } })
  }

  observe(e: EngineEvent): void {
    let outcome: string
    if (e.type === 'succeeded') outcome = 'succeeded'
    else if (e.type === 'failed') outcome = e.error.name === 'CancelledError' ? 'cancelled' : e.retryInMs !== undefined ? 'retried' : 'failed'
    else if (e.type === 'expired') outcome = 'expired'
    else return
    const labels = { task: e.job.task, queue: e.job.queue, worker: this.gauges.worker() }
    this.jobs.inc({ ...labels, outcome })
    if (outcome === 'retried') this.retries.inc(labels)
    if (e.type !== 'expired') this.duration.observe({ ...labels, outcome }, e.ms / 1000)
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
