import { CronExpressionParser } from 'cron-parser'
import { describe, expect, it } from 'vitest'
import { compileTiming, nextSlot, nextSlots, slotsBetween } from '../../src/beat/slots.js'

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString())

describe('schedule slots', () => {
  it('aligns interval slots to the epoch, so every beat computes the same ones', () => {
    const t = compileTiming({ every: '5s' })
    expect(nextSlot(t, Date.parse('2026-01-01T00:00:03.200Z'))).toBe(Date.parse('2026-01-01T00:00:05Z'))
    expect(nextSlot(t, Date.parse('2026-01-01T00:00:05Z'))).toBe(Date.parse('2026-01-01T00:00:10Z'))
    expect(iso(slotsBetween(t, Date.parse('2026-01-01T00:00:05Z'), Date.parse('2026-01-01T00:00:20Z')))).toEqual([
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:00:20.000Z',
    ])
  })

  it('keeps only the latest slots when capped', () => {
    const t = compileTiming({ every: '1s' })
    expect(slotsBetween(t, 0, 100_000, 3)).toEqual([98_000, 99_000, 100_000])
    const c = compileTiming('* * * * * *', 'UTC')
    expect(slotsBetween(c, 0, 100_000, 3)).toEqual([98_000, 99_000, 100_000])
  })

  it('supports an optional seconds field', () => {
    const t = compileTiming('*/10 * * * * *', 'UTC')
    expect(iso(nextSlots(t, Date.parse('2026-01-01T00:00:01Z'), 2))).toEqual(['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:20.000Z'])
  })

  it('matches cron-parser for the next runs', () => {
    const t = compileTiming('0 3 * * *', 'Europe/Paris')
    const from = Date.parse('2026-06-10T12:00:00Z')
    const it = CronExpressionParser.parse('0 3 * * *', { tz: 'Europe/Paris', currentDate: new Date(from) })
    expect(nextSlots(t, from, 3)).toEqual([it.next().getTime(), it.next().getTime(), it.next().getTime()])
  })

  it('runs 02:30 Paris once when October repeats the hour', () => {
    const t = compileTiming('30 2 * * *', 'Europe/Paris')
    const slots = iso(slotsBetween(t, Date.parse('2026-10-24T00:00:00Z'), Date.parse('2026-10-27T00:00:00Z')))
    // 25 Oct: 02:30 CEST (00:30Z) happens, the repeated 02:30 CET (01:30Z) does not run again.
    expect(slots).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z'])
    expect(new Set(slots).size).toBe(slots.length)
  })

  it('does not crash on the hour March skips, and runs once that day', () => {
    const t = compileTiming('30 2 * * *', 'Europe/Paris')
    const slots = iso(slotsBetween(t, Date.parse('2026-03-28T00:00:00Z'), Date.parse('2026-03-31T00:00:00Z')))
    expect(slots).toHaveLength(3)
    expect(slots[0]).toBe('2026-03-28T01:30:00.000Z') // 02:30 CET
    expect(slots[1]!.startsWith('2026-03-29')).toBe(true) // 02:30 does not exist; one run that day
    expect(slots[2]).toBe('2026-03-30T00:30:00.000Z') // 02:30 CEST
  })

  it('runs hourly slots across both changes without duplicates', () => {
    const t = compileTiming('0 * * * *', 'Europe/Paris')
    for (const [from, to] of [['2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z'], ['2026-03-28T23:00:00Z', '2026-03-29T04:00:00Z']]) {
      const slots = slotsBetween(t, Date.parse(from!), Date.parse(to!))
      expect(new Set(slots).size).toBe(slots.length)
      for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(3_600_000)
    }
  })

  it('rejects a bad expression or zone with a message naming the problem', () => {
    expect(() => compileTiming('61 * * * *', 'UTC')).toThrow(/invalid cron expression "61 \* \* \* \*"/)
    expect(() => compileTiming('* * *', 'UTC')).toThrow(/expected 5 fields/)
    expect(() => compileTiming('* * * * *', 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/)
    expect(() => compileTiming({ every: 'soon' })).toThrow(/invalid interval/)
  })
})
