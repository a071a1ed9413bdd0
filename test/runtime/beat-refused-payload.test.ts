import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Beat, type BeatEvent } from '../../src/beat/beat.js'
import type { ScheduleDef } from '../../src/beat/schedule-def.js'
import { slotTemplate } from '../../src/beat/slot-job.js'
import { compileTiming } from '../../src/beat/slots.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'

const refuseAll = { parse: (): never => { throw new Error('payload refused by schema') } }

describe('beat with a schedule whose payload is refused', () => {
  let dir: string
  let broker: SqliteBroker
  let beat: Beat | undefined
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tq-beat-refused-'))
    broker = new SqliteBroker(join(dir, 'tq.db'))
  })
  afterEach(async () => {
    await beat?.stop()
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reports the bad schedule once and keeps firing the others', async () => {
    const events: BeatEvent[] = []
    const base = { timing: compileTiming({ every: '1s' }), payload: {}, catchUp: 'none' as const, origin: 'tasks/x.ts' }
    const defs: ScheduleDef[] = [
      { ...base, name: 'bad', task: 'strict', slot: slotTemplate('strict', { schema: refuseAll }, {}, {}) },
      { ...base, name: 'good', task: 'ping', slot: slotTemplate('ping', undefined, {}, {}) },
    ]
    beat = new Beat(broker, defs, { onEvent: (e) => events.push(e) })
    await beat.start()
    // Three slots of the good schedule: beat went on firing after the bad one was refused.
    await vi.waitFor(async () => expect((await broker.listJobs({ task: 'ping', limit: 100 })).length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 100 })
    expect(await broker.listJobs({ task: 'strict', limit: 100 })).toEqual([])
    const errors = events.filter((e) => e.type === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ schedule: 'bad', error: { message: expect.stringMatching(/refused/) } })
  })
})
