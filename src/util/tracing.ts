/**
 * Traces through the OpenTelemetry API, following its messaging conventions: enqueue makes a
 * `send <queue>` producer span and stores its W3C trace context with the job; each attempt runs
 * in a `process <queue>` consumer span, parented by (and linked to) that context, so spans a
 * task starts belong to the enqueuing request's trace.
 *
 * The user brings the SDK. Until one registers something, the API is not even loaded (it costs
 * ~40 ms to import, in the worker and in every task thread): the API keeps what an SDK registers
 * on a global, read here without importing it. With no SDK nothing is stored with jobs and the
 * cost per job is one property read.
 */
import type { Attributes, Context, Span } from '@opentelemetry/api'

type Api = typeof import('@opentelemetry/api')

export const MESSAGING_SYSTEM = 'tq'

/** Where @opentelemetry/api 1.x keeps what SDKs register (see its internal/global-utils). */
const GLOBAL = Symbol.for('opentelemetry.js.api.1')

let api: Api | undefined
let loading: Promise<Api> | undefined

/** Whether an SDK has registered a tracer provider, propagator, context manager or meter provider. */
export function otelRegistered(): boolean {
  const g = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[GLOBAL]
  return !!g && !!(g.trace || g.propagation || g.context || g.metrics)
}

/**
 * Whether a meter provider is registered. Instruments made before that are no-ops for good, so a
 * worker with only a tracer provider skips its metrics altogether (nothing built per job).
 */
export function otelMetricsRegistered(): boolean {
  const g = (globalThis as Record<symbol, Record<string, unknown> | undefined>)[GLOBAL]
  return !!g?.metrics
}

/** The API, loaded once something is registered (else undefined, and nothing is loaded). */
export async function loadOtel(): Promise<Api | undefined> {
  if (api) return api
  if (!otelRegistered()) return undefined
  // Node gives the CommonJS build (named exports, and module.exports as default); bundlers may give
  // the ESM build, whose default export is only part of the API: take whichever has it all.
  return (loading ??= import('@opentelemetry/api').then((m) => (api = 'SpanKind' in m ? m : (m as { default: Api }).default)))
}

/** The API if loaded (by loadOtel), synchronously. */
export function otel(): Api | undefined {
  return api
}

/** What a producer span gives the jobs it sends, and how it ends. */
export interface ProducerSpan {
  /** The trace context to store with each job (JSON text), or undefined when there is none. */
  headers: string | undefined
  end(ids: readonly string[], err?: unknown): void
}

/** A `send <queue>` span around one enqueue call of `count` jobs; undefined when no SDK is registered. */
export async function startProducerSpan(queue: string, task: string, count: number): Promise<ProducerSpan | undefined> {
  const o = api ?? (await loadOtel())
  if (!o) return undefined
  const attributes: Attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': queue,
    'tq.task': task,
  }
  if (count > 1) attributes['messaging.batch.message_count'] = count
  const span = o.trace.getTracer('tqjs').startSpan(`send ${queue}`, { kind: o.SpanKind.PRODUCER, attributes })
  const headers = injectHeaders(o.trace.setSpan(o.context.active(), span))
  return {
    headers,
    end(ids, err) {
      if (ids.length === 1) span.setAttribute('messaging.message.id', ids[0]!)
      if (err !== undefined) failSpan(o, span, err)
      span.end()
    },
  }
}

/** The trace context of `ctx` (default: the active one) as headers JSON, or undefined when there is none. */
export function injectHeaders(ctx?: Context): string | undefined {
  if (!api) return undefined
  const carrier: Record<string, string> = {}
  api.propagation.inject(ctx ?? api.context.active(), carrier)
  for (const _ in carrier) return JSON.stringify(carrier)
  return undefined
}

/** A running attempt's span: run the handler inside `ctx`, then end it with how the attempt went. */
export interface ConsumerSpan {
  /** The context to run the attempt in; undefined when nothing records: run it as is. */
  ctx: Context | undefined
  end(error?: { name?: string; message: string }): void
}

export interface ConsumedJob {
  id: string
  task: string
  queue: string
  attempt: number
  headers?: string | null
}

/**
 * A `process <queue>` span for one attempt, child of the producer's context when `parent` (the
 * default) and always linked to it; with `parent` false it starts a trace of its own. Undefined
 * when the API is not loaded (no SDK): the attempt runs as it would without tracing.
 */
export function startConsumerSpan(job: ConsumedJob, parent = true): ConsumerSpan | undefined {
  const o = api
  if (!o) return undefined
  let producer: Context = o.ROOT_CONTEXT
  if (job.headers) {
    try {
      producer = o.propagation.extract(o.ROOT_CONTEXT, JSON.parse(job.headers) as Record<string, string>)
    } catch {
      /* unreadable headers: a trace of its own */
    }
  }
  const link = o.trace.getSpanContext(producer)
  const base = parent ? producer : o.ROOT_CONTEXT
  const span = o.trace.getTracer('tqjs').startSpan(
    `process ${job.queue}`,
    {
      kind: o.SpanKind.CONSUMER,
      attributes: {
        'messaging.system': MESSAGING_SYSTEM,
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': job.queue,
        'messaging.message.id': job.id,
        'tq.task': job.task,
        'tq.attempt': job.attempt,
      },
      links: link ? [{ context: link }] : undefined,
      root: !parent,
    },
    base,
  )
  return {
    ctx: span.isRecording() ? o.trace.setSpan(base, span) : undefined,
    end(error) {
      if (error) failSpan(o, span, error)
      span.end()
    },
  }
}

function failSpan(o: Api, span: Span, err: unknown): void {
  const e = err as { name?: string; message?: string }
  span.setAttribute('error.type', e?.name || 'Error')
  span.setStatus({ code: o.SpanStatusCode.ERROR, message: String(e?.message ?? err) })
}

/** Runs `fn` with `ctx` active (so spans the task starts are children of the consumer span). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return api ? api.context.with(ctx, fn) : fn()
}

/** The producer's metric: `messaging.client.sent.messages` (only once the API is loaded). */
let sent: { add(n: number, attrs: Attributes): void } | undefined
export function countSent(queue: string, n: number): void {
  if (!api) return
  sent ??= api.metrics.getMeter('tqjs').createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Jobs enqueued' })
  sent.add(n, { 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': queue, 'messaging.operation.name': 'send' })
}
