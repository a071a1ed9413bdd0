/** backoffDelay: the wait before the next attempt, from the task's backoff option. */
import { describe, expect, it } from 'vitest'
import { backoffDelay } from '../../src/worker/backoff.js'

describe('backoffDelay', () => {
  it('is 0 without a backoff option', () => {
    expect(backoffDelay(undefined, 1)).toBe(0)
    expect(backoffDelay(undefined, 5)).toBe(0)
  })

  it('fixed: the same delay after every attempt', () => {
    const fixed = { type: 'fixed', delay: '2s' } as const
    expect([1, 2, 3, 10].map((a) => backoffDelay(fixed, a))).toEqual([2000, 2000, 2000, 2000])
  })

  it('exponential: delay · 2^(attempt-1)', () => {
    const exp = { type: 'exponential', delay: 100 } as const
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(exp, a))).toEqual([100, 200, 400, 800, 1600])
  })

  it('exponential: capped at max (fixed is capped too)', () => {
    const exp = { type: 'exponential', delay: '1s', max: '5s' } as const
    expect([1, 2, 3, 4, 5, 20].map((a) => backoffDelay(exp, a))).toEqual([1000, 2000, 4000, 5000, 5000, 5000])
    expect(backoffDelay({ type: 'fixed', delay: '10s', max: '3s' }, 1)).toBe(3000)
  })

  it('jitter: the random draw maps linearly onto 50–100 % of the delay', () => {
    const exp = { type: 'exponential', delay: 1000, jitter: true } as const
    expect(backoffDelay(exp, 1, () => 0)).toBe(500)
    expect(backoffDelay(exp, 1, () => 0.5)).toBe(750)
    expect(backoffDelay(exp, 2, () => 0.5)).toBe(1500)
    expect(backoffDelay(exp, 1, () => 0.999999)).toBe(1000)
  })

  it('jitter applies after the cap, so a capped delay still spreads', () => {
    const exp = { type: 'exponential', delay: 1000, max: 4000, jitter: true } as const
    expect(backoffDelay(exp, 10, () => 0)).toBe(2000)
  })

  it('jitter with Math.random: 10 000 draws all fall in [50 %, 100 %] and spread across the range', () => {
    const exp = { type: 'exponential', delay: '1s', max: '1m', jitter: true } as const
    const draws = Array.from({ length: 10_000 }, () => backoffDelay(exp, 3))
    const lo = Math.min(...draws)
    const hi = Math.max(...draws)
    expect(lo).toBeGreaterThanOrEqual(2000)
    expect(hi).toBeLessThanOrEqual(4000)
    // 10 000 uniform draws: the chance that none falls in the outer 10 % at one end is 0.9^10000.
    expect(lo).toBeLessThan(2200)
    expect(hi).toBeGreaterThan(3800)
  })

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay({ type: 'fixed', delay: 333, jitter: true }, 1, () => 0.3333))).toBe(true)
  })

  it('rejects an invalid delay with a message naming it', () => {
    expect(() => backoffDelay({ type: 'fixed', delay: 'soon' }, 1)).toThrow(/backoff delay/)
    expect(() => backoffDelay({ type: 'fixed', delay: '1s', max: -1 }, 1)).toThrow(/backoff max/)
  })
})
