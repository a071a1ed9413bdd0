import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker, NewJob } from '../../src/broker/types.js'
import { colors } from '../../src/format/colors.js'
import { buildSnapshot, DEAD_AFTER_MS } from '../../src/status/snapshot.js'
import { statusSummary } from '../../src/status/summary.js'

const job = (task: string, queue = 'default', over: Partial<NewJob> = {}): NewJob => ({
  task,
  queue,
  payload: '{}',
  priority: 0,
  runAt: Date.now(),
  maxAttempts: 1,
  ...over,
})

/** A broker holding a bit of everything `tq status` shows, built only through the Broker interface. */
async function populate(broker: Broker) {
  await broker.enqueue([job('report.build'), job('email.boom', 'emails'), job('work.quick'), job('work.quick')])
  await broker.enqueue([job('later', 'default', { runAt: Date.now() + 3_600_000 })])
  const [a] = (await broker.claim({ workerId: 'w1', queues: ['default'], limit: 1, leaseMs: 30_000 })).jobs
  const [b] = (await broker.claim({ workerId: 'w1', queues: ['emails'], limit: 1, leaseMs: 30_000 })).jobs
  const [c] = (await broker.claim({ workerId: 'w1', queues: ['default'], limit: 1, leaseMs: 30_000 })).jobs
  await broker.progress(a!.id, a!.token, JSON.stringify(0.5))
  await broker.settle([
    { id: b!.id, token: b!.token, kind: 'failed', error: { name: 'Error', message: 'kaboom\nsecond line', stack: 'Error: kaboom\n    at x', attempt: 1 } },
    { id: c!.id, token: c!.token, kind: 'succeeded', result: '1' },
  ])
  await broker.pause('emails')
  const now = Date.now()
  await broker.heartbeat({ id: 'w1', host: 'box', pid: 10, queues: ['default', 'emails', 'idle'], concurrency: 4, running: [a!.id], startedAt: now - 60_000, lastBeatAt: now })
  await broker.heartbeat({ id: 'w0', host: 'box', pid: 9, queues: ['gone'], concurrency: 2, running: [], startedAt: now - 600_000, lastBeatAt: now - DEAD_AFTER_MS - 5_000 })
  await broker.saveSchedules([{ name: 'nightly', task: 'work.quick', expression: '0 3 * * *', tz: 'Europe/Paris', nextAt: now + 3_600_000 }])
  return { active: a!, failed: b!, succeeded: c! }
}

describe('status snapshot', () => {
  let dir: string
  let broker: Broker
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-status-'))
    broker = await openBroker('sqlite://.tq/tq.db', dir)
  })
  afterEach(async () => {
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('has queues with counts by state, workers with heartbeats, schedules with next run, running jobs and failures', async () => {
    const { active, failed } = await populate(broker)
    const s = await buildSnapshot(broker)
    // Round-trips through JSON unchanged: it is what `tq status --json` prints.
    expect(JSON.parse(JSON.stringify(s))).toEqual(s)
    expect(Date.parse(s.time)).toBeGreaterThan(0)
    expect(s.broker).toMatch(/^sqlite:\/\//)

    const byName = Object.fromEntries(s.queues.map((q) => [q.queue, q]))
    expect(Object.keys(byName)).toEqual(['default', 'emails', 'idle'])
    expect(byName.default!.counts).toEqual({ waiting: 0, scheduled: 1, queued: 1, active: 1, succeeded: 1, failed: 0, cancelled: 0, expired: 0 })
    expect(byName.emails!.counts.failed).toBe(1)
    expect(byName.emails!.paused).toBe(true)
    expect(byName.idle!.counts.queued).toBe(0) // a live worker listens on it
    expect(s.queues.map((q) => q.queue)).not.toContain('gone') // only a dead worker's
    for (const q of s.queues) {
      expect(q.throughput).toHaveLength(60)
      expect(typeof q.perSecond).toBe('number')
    }
    expect(byName.default!.throughput.reduce((a, b) => a + b, 0)).toBe(1)
    expect(byName.emails!.throughput.reduce((a, b) => a + b, 0)).toBe(1)

    expect(s.workers.map((w) => [w.id, w.alive, w.busy])).toEqual([
      ['w1', true, 1],
      ['w0', false, 0],
    ])
    expect(s.workers[0]).toMatchObject({ host: 'box', pid: 10, concurrency: 4, running: [active.id], queues: ['default', 'emails', 'idle'] })
    expect(Date.parse(s.workers[0]!.lastBeatAt)).toBeGreaterThan(Date.parse(s.workers[1]!.lastBeatAt))

    expect(s.schedules).toEqual([{ name: 'nightly', task: 'work.quick', expression: '0 3 * * *', tz: 'Europe/Paris', nextAt: expect.any(String), lastRunAt: null }])
    expect(Date.parse(s.schedules[0]!.nextAt!)).toBeGreaterThan(Date.now())

    expect(s.running).toEqual([expect.objectContaining({ id: active.id, task: 'report.build', queue: 'default', progress: 0.5, attempt: 1 })])
    expect(s.running[0]!.elapsedMs).toBeGreaterThanOrEqual(0)
    expect(s.failures).toEqual([expect.objectContaining({ id: failed.id, task: 'email.boom', queue: 'emails', error: { name: 'Error', message: 'kaboom\nsecond line' } })])
  })

  it('is empty but well formed on a new broker', async () => {
    const s = await buildSnapshot(broker)
    expect(s).toMatchObject({ queues: [], workers: [], schedules: [], running: [], failures: [] })
  })

  it('prints a plain-text summary without escapes when colours are off', async () => {
    await populate(broker)
    const text = statusSummary(await buildSnapshot(broker), colors({ isTTY: false } as NodeJS.WriteStream))
    expect(text).not.toMatch(/\x1b/)
    expect(text).toMatch(/^QUEUE\s+SCHEDULED\s+QUEUED\s+ACTIVE\s+SUCCEEDED\s+FAILED\s+CANCELLED\s+EXPIRED\s+JOBS\/S$/m)
    expect(text).toMatch(/^default\s+1\s+1\s+1\s+1\s+0\s+0\s+0\s+\S+$/m)
    expect(text).toMatch(/^emails \(paused\)\s+0\s+0\s+0\s+0\s+1/m)
    expect(text).toMatch(/box:10 {2}busy 1\/4 {2}beat \d+s ago/)
    expect(text).toMatch(/box:9 .* dead$/m)
    expect(text).toMatch(/report\.build {2}\S+ {2}\S+ {2}█+░+ +50%/)
    expect(text).toMatch(/email\.boom .* Error: kaboom$/m)
    expect(text).toMatch(/nightly → work\.quick {2}0 3 \* \* \* Europe\/Paris {2}next \S+Z \(in (59m|1h)\)/)
  })
})
