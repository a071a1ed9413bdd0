import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Beat, type BeatEvent } from '../../src/beat/beat.js'
import type { ScheduleDef } from '../../src/beat/schedule-def.js'
import { slotTemplate } from '../../src/beat/slot-job.js'
import { compileTiming } from '../../src/beat/slots.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'

const def = (over: Partial<ScheduleDef> = {}): ScheduleDef => {
  const d = { name: 'tick', task: 'ping', timing: compileTiming({ every: '1s' }), payload: { hello: 1 }, catchUp: 'latest' as const, origin: 'tasks/x.ts', ...over }
  return { ...d, slot: over.slot ?? slotTemplate(d.task, undefined, d.payload, d) }
}

describe('beat', () => {
  let dir: string
  let broker: SqliteBroker
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tq-beat-'))
    broker = new SqliteBroker(join(dir, 'tq.db'))
  })
  afterEach(async () => {
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Runs one beat start at a fake time (its first tick enqueues what is due), then stops it. */
  async function startAt(now: number, d: ScheduleDef, events: BeatEvent[] = []) {
    const beat = new Beat(broker, [d], { now: () => now, onEvent: (e) => events.push(e) })
    await beat.start()
    await beat.stop()
    return events
  }

  const slotJobs = async () => (await broker.listJobs({ task: 'ping', limit: 1000 })).map((j) => j.runAt).sort()

  for (const [policy, expected] of [
    ['latest', ['2026-01-01T00:00:05.000Z']],
    ['all', ['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:03.000Z', '2026-01-01T00:00:04.000Z', '2026-01-01T00:00:05.000Z']],
    ['none', []],
  ] as const) {
    it(`after 5 s of downtime, catchUp '${policy}' enqueues ${expected.length} job(s)`, async () => {
      const t0 = Date.parse('2026-01-01T00:00:00Z')
      await broker.enqueueSlot('tick', t0, { id: 'schedule:tick:t0', task: 'ping', queue: 'default', payload: 'null', priority: 0, runAt: t0, maxAttempts: 1 })
      await broker.saveSchedules([{ name: 'tick', task: 'ping', expression: 'every 1s', tz: 'UTC', nextAt: null }])
      await startAt(t0 + 5_300, def({ catchUp: policy }))
      expect(await slotJobs()).toEqual(['2026-01-01T00:00:00.000Z', ...expected])
      const [rec] = await broker.listSchedules()
      if (policy !== 'none') expect(rec!.lastSlotAt).toBe(t0 + 5000)
    })
  }

  it('caps catchUp all at maxCatchUp', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    await broker.enqueueSlot('tick', t0, { id: 'schedule:tick:t0', task: 'ping', queue: 'default', payload: 'null', priority: 0, runAt: t0, maxAttempts: 1 })
    await broker.saveSchedules([{ name: 'tick', task: 'ping', expression: 'every 1s', tz: 'UTC', nextAt: null }])
    const beat = new Beat(broker, [def({ catchUp: 'all' })], { now: () => t0 + 3_600_500, maxCatchUp: 10 })
    await beat.start()
    await beat.stop()
    expect((await slotJobs()).length).toBe(1 + 10)
  })

  it('gives each slot job a deterministic id, runAt equal to the slot, and the payload', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    await broker.enqueueSlot('tick', t0, { id: 'schedule:tick:t0', task: 'ping', queue: 'default', payload: 'null', priority: 0, runAt: t0, maxAttempts: 1 })
    await broker.saveSchedules([{ name: 'tick', task: 'ping', expression: 'every 1s', tz: 'UTC', nextAt: null }])
    await startAt(t0 + 1_200, def())
    const job = await broker.getJob('schedule:tick:2026-01-01T00:00:01.000Z')
    expect(job).toMatchObject({ task: 'ping', runAt: '2026-01-01T00:00:01.000Z', payload: { hello: 1 } })
  })

  it('starts a changed expression from its next slot instead of catching up under the new one', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z')
    await broker.enqueueSlot('tick', t0, { id: 'schedule:tick:t0', task: 'ping', queue: 'default', payload: 'null', priority: 0, runAt: t0, maxAttempts: 1 })
    await broker.saveSchedules([{ name: 'tick', task: 'ping', expression: 'every 1s', tz: 'UTC', nextAt: null }])
    await startAt(t0 + 10_500, def({ timing: compileTiming({ every: '2s' }), catchUp: 'all' }))
    expect(await slotJobs()).toEqual(['2026-01-01T00:00:00.000Z'])
    expect((await broker.listSchedules())[0]!.expression).toBe('every 2s')
  })

  it('enqueues each slot once with three beats running at the same time', async () => {
    const peers = [broker, new SqliteBroker(join(dir, 'tq.db')), new SqliteBroker(join(dir, 'tq.db'))]
    const d = def({ timing: compileTiming({ every: '100ms' }) })
    const beats = peers.map((b) => new Beat(b, [d]))
    const started = Date.now()
    await Promise.all(beats.map((b) => b.start()))
    // Wait for slots to accumulate: poll the broker rather than sleeping blindly.
    while ((await broker.listJobs({ task: 'ping', limit: 1000 })).length < 10) await broker.waitForChange(200)
    await Promise.all(beats.map((b) => b.stop()))
    const elapsed = Date.now() - started
    const jobs = await broker.listJobs({ task: 'ping', limit: 1000 })
    const runAts = jobs.map((j) => j.runAt)
    expect(new Set(runAts).size).toBe(runAts.length)
    // One job per 100 ms slot that passed, not three.
    expect(jobs.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1)
    await peers[1]!.close()
    await peers[2]!.close()
  })

  it('stops a schedule removed from the code', async () => {
    const beat = new Beat(broker, [def({ timing: compileTiming({ every: '50ms' }) })])
    await beat.start()
    while ((await broker.listJobs({ task: 'ping' })).length < 2) await broker.waitForChange(100)
    await beat.update([])
    const count = (await broker.listJobs({ task: 'ping', limit: 1000 })).length
    expect(await broker.listSchedules()).toEqual([])
    // Several slot periods later, nothing more was enqueued.
    const until = Date.now() + 300
    while (Date.now() < until) await broker.waitForChange(until - Date.now())
    expect((await broker.listJobs({ task: 'ping', limit: 1000 })).length).toBe(count)
    await beat.stop()
  })
})
