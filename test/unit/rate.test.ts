/** rateInterval: a task's rateLimit → the spacing between starts (no burst). */
import { describe, expect, it } from 'vitest'
import { rateInterval } from '../../src/app/rate.js'
import { UsageError } from '../../src/errors.js'

describe('rateInterval', () => {
  it('spaces starts evenly over the unit', () => {
    expect(rateInterval('20/s')).toBe(50)
    expect(rateInterval('100/m')).toBe(600)
    expect(rateInterval('1000/h')).toBe(3600)
  })

  it('accepts the long unit names, fractions and spaces', () => {
    expect(rateInterval('4/sec')).toBe(250)
    expect(rateInterval('2/min')).toBe(30_000)
    expect(rateInterval('1/hour')).toBe(3_600_000)
    expect(rateInterval('0.5/s')).toBe(2000)
    expect(rateInterval(' 10 / s ')).toBe(100)
  })

  it.each([['0/s'], ['20'], ['20/d'], ['-1/s'], ['x/s'], ['/s'], ['']])('refuses %j with a UsageError', (rate) => {
    expect(() => rateInterval(rate)).toThrow(UsageError)
  })
})
