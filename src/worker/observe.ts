import { hostname } from 'node:os'
import { cachedCounts } from '../broker/cached-counts.js'
import { EventBatcher } from '../broker/event-batcher.js'
import type { Broker, ReapedWorker, TqEvent } from '../broker/types.js'
import type { TqConfig } from '../app/config.js'
import { toMs } from '../util/duration.js'
import type { EngineEvent } from './events.js'
import { HookRunner } from './hooks.js'
import { liveEvent } from './live-events.js'
import { OtelWorkerMetrics } from './otel-metrics.js'
import { otel, otelMetricsRegistered } from '../util/tracing.js'

/** What a running engine tells its observers about itself. */
export interface EngineView {
  readonly id: string
  readonly concurrency: number
  readonly busy: number
}

/**
 * Everything that watches a worker's engine events besides its log: live events for `tq events`
 * (batched, published without waiting), the config's hooks, OpenTelemetry metrics. Each takes the
 * event and returns at once: none of them is on a job's path.
 */
export class WorkerObservers {
  private readonly events: EventBatcher
  private readonly hooks: HookRunner | undefined
  private readonly otel: OtelWorkerMetrics | undefined
  private engine: EngineView | undefined

  constructor(
    private readonly broker: Broker,
    config: TqConfig,
    log: (line: string) => void,
  ) {
    this.events = new EventBatcher(broker, 50)
    if (HookRunner.wanted(config.hooks)) {
      const timeoutMs = config.hooks!.timeout !== undefined ? toMs(config.hooks!.timeout, 'hooks.timeout') : 5000
      this.hooks = new HookRunner(config.hooks!, (id) => broker.getJob(id), timeoutMs, log)
    }
    const api = otel()
    this.otel = !api || !otelMetricsRegistered() ? undefined : new OtelWorkerMetrics(
      api,
      cachedCounts(broker),
      () => this.engine?.busy ?? 0,
      () => this.engine?.concurrency ?? 0,
      () => this.engine?.id ?? '',
    )
  }

  /** The engine, once made (events before it carry no worker id). */
  attach(engine: EngineView): void {
    this.engine = engine
    this.events.push({ type: 'worker-online', at: Date.now(), worker: engine.id, host: hostname(), pid: process.pid })
  }

  onEvent(e: EngineEvent): void {
    // With nobody listening, no event is even built; the batcher asks again every 250 ms.
    if (this.events.wanted) {
      const live = liveEvent(e, this.engine?.id ?? '')
      if (live) this.events.push(live)
    } else this.events.skipped()
    this.hooks?.onEvent(e)
    this.otel?.onEvent(e)
  }

  /** Children a task enqueued (ctx.enqueue) are announced like any enqueue. */
  enqueued(events: readonly TqEvent[]): void {
    if (!this.events.wanted) return this.events.skipped()
    for (const e of events) this.events.push(e)
  }

  onWorkerLost(lost: ReapedWorker): void {
    this.events.push({ type: 'worker-offline', at: Date.now(), worker: lost.worker.id })
  }

  /** The engine stopped: the last hooks finish (each bounded), the offline event goes out. */
  async stopped(): Promise<void> {
    await this.hooks?.drain()
    if (this.engine) this.events.push({ type: 'worker-offline', at: Date.now(), worker: this.engine.id })
    await this.events.flush()
  }
}
