/**
 * Traces end to end: a producer (this process) with the OpenTelemetry SDK and an in-memory
 * exporter enqueues inside a request span; `tq worker` loads the project's instrumentation module
 * (the same SDK, exporting to a file) in its process and task threads. The task's own span must be
 * in the request's trace, under the attempt's `process` span, under the enqueue's `send` span.
 */
import { context, propagation, trace, type Tracer } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/app/client.js'
import { cleanupTemp, killAll, LOADED_TEST_MS, readLines, runTq } from '../helpers/tq.js'
import { obsProject } from './fixture.js'

/** The instrumentation module: the SDK, writing each ended span as a JSON line to $SPANS_FILE. */
const OTEL = `
import { appendFileSync } from 'node:fs'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
const exporter = {
  export(spans: any[], done: (r: { code: number }) => void) {
    for (const s of spans) {
      const c = s.spanContext()
      appendFileSync(process.env.SPANS_FILE!, JSON.stringify({ name: s.name, traceId: c.traceId, spanId: c.spanId, parent: s.parentSpanContext?.spanId ?? null, kind: s.kind, attributes: s.attributes, links: s.links.map((l: any) => l.context.spanId), status: s.status.code }) + '\\n')
    }
    done({ code: 0 })
  },
  async shutdown() {},
}
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
`

interface SpanLine {
  name: string
  traceId: string
  spanId: string
  parent: string | null
  kind: number
  attributes: Record<string, unknown>
  links: string[]
  status: number
}

describe('traces from a producer with the OpenTelemetry SDK to a task span in the worker', () => {
  let exporter: InMemorySpanExporter
  let tracer: Tracer
  afterAll(cleanupTemp)
  afterEach(async () => {
    await killAll()
    trace.disable()
    propagation.disable()
    context.disable()
  })
  beforeEach(() => {
    exporter = new InMemorySpanExporter()
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
    tracer = trace.getTracer('test-web')
  })

  it(
    "puts the task's own span in the request's trace, under process <queue> under send <queue>; a failure marks its span",
    async () => {
      const project = obsProject(`{ broker: 'sqlite://.tq/tq.db', instrumentation: './otel.ts' }`, { 'otel.ts': OTEL })
      const spansFile = project.path('spans.ndjson')
      const client = await connect({ config: project.path('tq.config.ts') })
      let requestTrace = ''
      let okId = ''
      let boomId = ''
      await tracer.startActiveSpan('GET /signup', async (request) => {
        requestTrace = request.spanContext().traceId
        okId = (await client.enqueue('obs.traced', {})).id
        boomId = (await client.enqueue('obs.boom', {})).id
        request.end()
      })
      // The trace context is stored with the job, visible in its JSON.
      const stored = await client.job(okId).get()
      expect(stored!.headers!.traceparent).toMatch(new RegExp(`^00-${requestTrace}-[0-9a-f]{16}-01$`))
      await client.close()

      const r = await runTq(['worker', '--burst'], { cwd: project.dir, env: { SPANS_FILE: spansFile }, timeoutMs: LOADED_TEST_MS })
      expect(r.code, r.stderr).toBe(0)

      const producer = exporter.getFinishedSpans()
      const request = producer.find((s) => s.name === 'GET /signup')!
      const sends = producer.filter((s) => s.name === 'send default')
      expect(sends).toHaveLength(2)
      for (const s of sends) {
        expect(s.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
        expect(s.attributes).toMatchObject({ 'messaging.system': 'tq', 'messaging.destination.name': 'default', 'messaging.operation.type': 'send' })
      }
      const sendOk = sends.find((s) => s.attributes['messaging.message.id'] === okId)!

      const worker = readLines(spansFile).map((l) => JSON.parse(l) as SpanLine)
      const userWork = worker.find((s) => s.name === 'user-work')!
      const processOk = worker.find((s) => s.name === 'process default' && s.attributes['messaging.message.id'] === okId)!
      expect(userWork.traceId).toBe(requestTrace)
      expect(userWork.parent).toBe(processOk.spanId)
      expect(processOk.traceId).toBe(requestTrace)
      expect(processOk.parent).toBe(sendOk.spanContext().spanId)
      expect(processOk.links).toEqual([sendOk.spanContext().spanId])
      expect(processOk.attributes).toMatchObject({ 'messaging.system': 'tq', 'messaging.operation.type': 'process', 'messaging.destination.name': 'default', 'tq.task': 'obs.traced' })

      const processBoom = worker.find((s) => s.name === 'process default' && s.attributes['messaging.message.id'] === boomId)!
      expect(processBoom.traceId).toBe(requestTrace)
      expect(processBoom.attributes['error.type']).toBe('TypeError')
      expect(processBoom.status).toBe(2) // SpanStatusCode.ERROR
    },
    LOADED_TEST_MS,
  )

  it('stores no trace context when no SDK is registered', async () => {
    trace.disable()
    propagation.disable()
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db' }`)
    const client = await connect({ config: project.path('tq.config.ts') })
    const h = await client.enqueue('obs.ok', {})
    expect(await h.get()).not.toHaveProperty('headers')
    await client.close()
  })
})

