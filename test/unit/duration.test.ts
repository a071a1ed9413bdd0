/** toMs and formatMs: the Duration type every option uses ('500ms', '10s', 5000, …). */
import { describe, expect, it } from 'vitest'
import { formatMs, toMs } from '../../src/util/duration.js'
import { UsageError } from '../../src/errors.js'

describe('toMs', () => {
  it('takes a number as milliseconds', () => {
    expect(toMs(0)).toBe(0)
    expect(toMs(1500)).toBe(1500)
    expect(toMs(0.5)).toBe(0.5)
  })

  it('reads every unit', () => {
    expect(['250ms', '10s', '5m', '1h', '1d', '1w'].map((v) => toMs(v))).toEqual([250, 10_000, 300_000, 3_600_000, 86_400_000, 604_800_000])
  })

  it('reads a bare number string as milliseconds, decimals, and spaces around the parts', () => {
    expect(toMs('250')).toBe(250)
    expect(toMs('1.5s')).toBe(1500)
    expect(toMs(' 2 m ')).toBe(120_000)
  })

  it('rounds to whole milliseconds', () => {
    expect(toMs('0.0004s')).toBe(0)
    expect(toMs('1.0006s')).toBe(1001)
  })

  it.each([['-1'], ['abc'], ['10x'], ['1 hour'], [''], ['1e3'], ['s']])('refuses %j with a UsageError', (value) => {
    expect(() => toMs(value)).toThrow(UsageError)
  })

  it.each([[-5], [NaN], [Infinity]])('refuses the number %s', (value) => {
    expect(() => toMs(value)).toThrow(UsageError)
  })

  it('names the option in the message', () => {
    expect(() => toMs('soon', 'worker.lease')).toThrow(/invalid worker\.lease "soon"/)
  })
})

describe('formatMs', () => {
  it('formats for people at each scale', () => {
    expect([0.42, 12.4, 1500, 12_345, 123_000].map(formatMs)).toEqual(['0.4ms', '12ms', '1.50s', '12.3s', '2m 3s'])
  })
})
