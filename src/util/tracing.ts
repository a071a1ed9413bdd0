/**
 * Traces through the OpenTelemetry API, following its messaging conventions: enqueue makes a
 * `send <queue>` producer span and stores its W3C trace context with the job; each attempt runs
 * in a `process <queue>` consumer span, parented by (and linked to) that context, so spans a
 * task starts belong to the enqueuing request's trace. The user brings the SDK; with none
 * registered the API hands out non-recording spans and an empty propagator: nothing is stored
 * with the job and the cost is a few object allocations per call.
 */
import { context, metrics, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from '@opentelemetry/api'

export const MESSAGING_SYSTEM = 'tq'
// A ProxyTracer: it reaches whatever SDK is registered, even one registered after this line.
const TRACER = trace.getTracer('tqjs')
const tracer = () => TRACER

/** What a producer span gives the jobs it sends, and how it ends. */
export interface ProducerSpan {
  /** The trace context to store with each job (JSON text), or undefined when there is none. */
  headers: string | undefined
  end(ids: readonly string[], err?: unknown): void
}

const NO_PRODUCER: ProducerSpan = { headers: undefined, end: () => undefined }

/** A `send <queue>` span around one enqueue call of `count` jobs. */
export function startProducerSpan(queue: string, task: string, count: number): ProducerSpan {
  const attributes: Attributes = {
    'messaging.system': MESSAGING_SYSTEM,
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': queue,
    'tq.task': task,
  }
  if (count > 1) attributes['messaging.batch.message_count'] = count
  const span = tracer().startSpan(`send ${queue}`, { kind: SpanKind.PRODUCER, attributes })
  const headers = injectHeaders(trace.setSpan(context.active(), span))
  if (!span.isRecording() && headers === undefined) return NO_PRODUCER
  return {
    headers,
    end(ids, err) {
      if (ids.length === 1) span.setAttribute('messaging.message.id', ids[0]!)
      if (err !== undefined) failSpan(span, err)
      span.end()
    },
  }
}

/** The trace context of `ctx` (default: the active one) as headers JSON, or undefined when the propagator writes none. */
export function injectHeaders(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {}
  propagation.inject(ctx, carrier)
  for (const _ in carrier) return JSON.stringify(carrier)
  return undefined
}

/** A running attempt's span: run the handler inside `ctx`, then end it with how the attempt went. */
export interface ConsumerSpan {
  /** The context to run the attempt in; undefined when nothing records (no SDK): run it as is. */
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
 * default) and always linked to it; with `parent` false it starts a trace of its own.
 */
export function startConsumerSpan(job: ConsumedJob, parent = true): ConsumerSpan {
  let producer: Context = ROOT_CONTEXT
  if (job.headers) {
    try {
      producer = propagation.extract(ROOT_CONTEXT, JSON.parse(job.headers) as Record<string, string>)
    } catch {
      /* unreadable headers: a trace of its own */
    }
  }
  const link = trace.getSpanContext(producer)
  const span = tracer().startSpan(
    `process ${job.queue}`,
    {
      kind: SpanKind.CONSUMER,
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
    parent ? producer : ROOT_CONTEXT,
  )
  return {
    ctx: span.isRecording() ? trace.setSpan(parent ? producer : ROOT_CONTEXT, span) : undefined,
    end(error) {
      if (error) failSpan(span, error)
      span.end()
    },
  }
}

function failSpan(span: Span, err: unknown): void {
  const e = err as { name?: string; message?: string }
  span.setAttribute('error.type', e?.name || 'Error')
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(e?.message ?? err) })
}

/** Runs `fn` with `ctx` active (so spans the task starts are children of the consumer span). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn)
}

/** The producer's metric: `messaging.client.sent.messages` (the meter is taken on first use, after an SDK is registered). */
let sent: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']> | undefined
export function countSent(queue: string, n: number): void {
  sent ??= metrics.getMeter('tqjs').createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Jobs enqueued' })
  sent.add(n, { 'messaging.system': MESSAGING_SYSTEM, 'messaging.destination.name': queue, 'messaging.operation.name': 'send' })
}
