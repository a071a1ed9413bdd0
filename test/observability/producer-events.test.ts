/**
 * Producers besides the client: beat's slot jobs carry a `send <queue>` span's trace context and
 * are announced as `enqueued` events; `tq retry` (and the dashboard, through the same function)
 * announces the jobs it puts back as `retried` events. In process, on a real SQLite file, with the
 * OpenTelemetry SDK and an in-memory exporter.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Beat } from '../../src/beat/beat.js'
import type { ScheduleDef } from '../../src/beat/schedule-def.js'
import { slotTemplate } from '../../src/beat/slot-job.js'
import { compileTiming } from '../../src/beat/slots.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { TqEvent } from '../../src/broker/types.js'
import { retryJobs } from '../../src/cli-support/manage-jobs.js'
import { loadOtel } from '../../src/util/tracing.js'

const schedule = (): ScheduleDef => {
  const d = { name: 'tick', task: 'ping', timing: compileTiming({ every: '1s' }), payload: {}, catchUp: 'latest' as const, origin: 'tasks/x.ts' }
  return { ...d, slot: slotTemplate(d.task, undefined, d.payload, d) }
}

describe('events and traces from beat and from tq retry', () => {
  let dir: string
  let broker: SqliteBroker
  let exporter: InMemorySpanExporter
  let stop: AbortController
  let seen: TqEvent[]

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-producer-events-'))
    broker = new SqliteBroker(join(dir, 'tq.db'))
    exporter = new InMemorySpanExporter()
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    propagation.setGlobalPropagator(new W3CTraceContextPropagator())
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
    await loadOtel()
    seen = []
    stop = new AbortController()
    await broker.subscribeEvents((evs) => seen.push(...evs), stop.signal)
  })
  afterEach(async () => {
    stop.abort()
    trace.disable()
    propagation.disable()
    context.disable()
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A new schedule starts from now: beat starts, the clock moves 1 s on, one slot comes due. */
  async function runBeatOneSlot(opts: { tracing?: boolean } = {}) {
    let now = Date.parse('2026-01-01T00:00:00.500Z')
    const beat = new Beat(broker, [schedule()], { now: () => now, manual: true, ...opts })
    await beat.start()
    now += 1000
    await beat.tick()
    await beat.stop()
  }

  it("beat's slot job carries the trace context of a send span and is announced as enqueued", async () => {
    await runBeatOneSlot()

    const [listed] = await broker.listJobs({ task: 'ping', limit: 10 })
    const job = await broker.getJob(listed!.id)
    const send = exporter.getFinishedSpans().find((s) => s.name === 'send default')
    expect(send?.attributes['messaging.message.id']).toBe(job!.id)
    expect(job!.headers?.traceparent).toBe(`00-${send!.spanContext().traceId}-${send!.spanContext().spanId}-01`)
    await vi.waitFor(() => expect(seen).toContainEqual(expect.objectContaining({ type: 'enqueued', id: job!.id, task: 'ping', queue: 'default' })))
  })

  it('beat with tracing off stores no trace context', async () => {
    await runBeatOneSlot({ tracing: false })
    const jobs = await broker.listJobs({ task: 'ping', limit: 10 })
    expect(jobs).toHaveLength(1)
    expect((await broker.getJob(jobs[0]!.id))!.headers ?? null).toBeNull()
    expect(exporter.getFinishedSpans()).toEqual([])
  })

  it('tq retry announces each job it put back as retried', async () => {
    const now = Date.now()
    await broker.enqueue([{ id: 'will-fail', task: 'boom', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 }])
    const { jobs } = await broker.claim({ workerId: 'w', queues: ['default'], limit: 1, leaseMs: 30_000 })
    await broker.settle([{ id: jobs[0]!.id, token: jobs[0]!.token, kind: 'failed', error: { message: 'no' } }])

    const { requeued } = await retryJobs(broker, ['will-fail'], {})
    expect(requeued).toEqual(['will-fail'])
    await vi.waitFor(() => expect(seen).toContainEqual(expect.objectContaining({ type: 'retried', id: 'will-fail', task: 'boom', queue: 'default' })))
  })
})
