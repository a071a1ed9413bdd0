/**
 * decideOutcome: how one attempt ends in the broker, from the task thread's report and the
 * engine's reason for stopping it (if any). Pure apart from the clock, which is frozen here so
 * retry times can be asserted exactly.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ClaimedJob } from '../../src/broker/types.js'
import { decideOutcome } from '../../src/worker/outcome.js'
import type { TaskInfoOptions } from '../../src/worker/manifest.js'
import type { PoolResult } from '../../src/worker/pool.js'

const NOW = Date.parse('2026-03-01T12:00:00Z')

const claimed = (over: Partial<ClaimedJob> = {}): ClaimedJob => ({
  id: 'j1', task: 't', queue: 'default', payload: '{}', attempt: 1, maxAttempts: 3, token: 7, priority: 0, runAt: NOW, createdAt: NOW, parentId: null, ...over,
})
const ok = (result?: string): PoolResult => ({ id: 'j1', ok: true, result })
const threw = (extra: { retryInMs?: number; fatal?: boolean } = {}, name = 'Error'): PoolResult => ({ id: 'j1', ok: false, error: { name, message: 'boom' }, ...extra })
const fixed1s: TaskInfoOptions = { backoff: { type: 'fixed', delay: '1s' } }

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(NOW)
})
afterEach(() => {
  vi.useRealTimers()
})

describe('success', () => {
  it('stores the result under the current lease, with no expiry when the task has no resultTtl', () => {
    const { outcome, event } = decideOutcome(claimed(), ok('{"n":1}'), undefined, undefined, 12)
    expect(outcome).toEqual({ id: 'j1', token: 7, kind: 'succeeded', result: '{"n":1}', resultExpiresAt: undefined })
    expect(event).toMatchObject({ type: 'succeeded', ms: 12 })
  })

  it('sets the result to expire resultTtl after now', () => {
    const { outcome } = decideOutcome(claimed(), ok('1'), undefined, { resultTtl: '1h' }, 1)
    expect(outcome).toMatchObject({ kind: 'succeeded', resultExpiresAt: NOW + 3_600_000 })
  })

  it('still succeeds when the worker was shutting down but the task finished', () => {
    expect(decideOutcome(claimed(), ok('1'), 'shutdown', undefined, 1).outcome.kind).toBe('succeeded')
  })
})

describe('failure', () => {
  it('schedules a retry after the backoff while attempts remain, and records the error with its attempt', () => {
    const { outcome, event } = decideOutcome(claimed({ attempt: 1, maxAttempts: 3 }), threw(), undefined, fixed1s, 5)
    expect(outcome).toEqual({
      id: 'j1', token: 7, kind: 'failed', retryAt: NOW + 1000,
      error: { name: 'Error', message: 'boom', at: new Date(NOW).toISOString(), attempt: 1 },
    })
    expect(event).toMatchObject({ type: 'failed', retryInMs: 1000 })
  })

  it('retries at once when the task has no backoff', () => {
    const { outcome } = decideOutcome(claimed(), threw(), undefined, undefined, 5)
    expect(outcome).toMatchObject({ kind: 'failed', retryAt: NOW })
  })

  it('fails for good on the last attempt: no retryAt, and the event announces no retry', () => {
    const { outcome, event } = decideOutcome(claimed({ attempt: 3, maxAttempts: 3 }), threw(), undefined, fixed1s, 5)
    expect(outcome.kind).toBe('failed')
    expect(outcome).not.toHaveProperty('retryAt')
    expect(event).toMatchObject({ type: 'failed', retryInMs: undefined })
  })

  it('FatalError fails for good even with attempts left', () => {
    const { outcome, event } = decideOutcome(claimed({ attempt: 1, maxAttempts: 5 }), threw({ fatal: true }, 'FatalError'), undefined, fixed1s, 5)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'FatalError' } })
    expect(outcome).not.toHaveProperty('retryAt')
    expect(event).toMatchObject({ retryInMs: undefined })
  })
})

describe('RetryLater', () => {
  it('runs again after the requested delay (not the backoff), recording no error', () => {
    const { outcome, event } = decideOutcome(claimed({ attempt: 1, maxAttempts: 3 }), threw({ retryInMs: 250 }, 'RetryLater'), undefined, fixed1s, 5)
    expect(outcome).toEqual({ id: 'j1', token: 7, kind: 'retry', runAt: NOW + 250 })
    expect(event).toMatchObject({ type: 'failed', retryInMs: 250 })
  })

  it('on the last attempt it fails for good, with the RetryLater as the error', () => {
    const { outcome } = decideOutcome(claimed({ attempt: 2, maxAttempts: 2 }), threw({ retryInMs: 250 }, 'RetryLater'), undefined, undefined, 5)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'RetryLater', attempt: 2 } })
    expect(outcome).not.toHaveProperty('retryAt')
  })
})

describe('timeout', () => {
  const timeout2s: TaskInfoOptions = { timeout: '2s', backoff: { type: 'fixed', delay: '3s' } }

  it('fails with a TimeoutError naming the limit, whatever else the task threw as it was stopped', () => {
    const { outcome } = decideOutcome(claimed({ attempt: 1, maxAttempts: 1 }), threw({}, 'AbortError'), 'timeout', timeout2s, 2000)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'TimeoutError', message: 'timed out after 2s', attempt: 1 } })
  })

  it('fails even if the task returned a result as it was stopped, and retries when attempts remain', () => {
    const { outcome } = decideOutcome(claimed({ attempt: 1, maxAttempts: 2 }), ok('1'), 'timeout', timeout2s, 2000)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'TimeoutError' }, retryAt: NOW + 3000 })
  })

  it("keeps the thread's own TimeoutError (the hard stop's message)", () => {
    const { outcome } = decideOutcome(claimed({ maxAttempts: 1 }), { id: 'j1', ok: false, error: { name: 'TimeoutError', message: 'thread ended' } }, 'timeout', timeout2s, 2500)
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'TimeoutError', message: 'thread ended' } })
  })
})

describe('cancel, shutdown, lost thread', () => {
  it('a cancelled job ends cancelled with a CancelledError, never retried, whatever the task reported', () => {
    for (const res of [ok('1'), threw()]) {
      const { outcome, event } = decideOutcome(claimed({ attempt: 1, maxAttempts: 5 }), res, 'cancelled', fixed1s, 5)
      expect(outcome).toMatchObject({ id: 'j1', token: 7, kind: 'cancelled', error: { name: 'CancelledError', attempt: 1 } })
      expect(event.type).toBe('failed')
    }
  })

  it('a job that failed because the worker shut down is released without using an attempt', () => {
    const { outcome, event } = decideOutcome(claimed(), threw({}, 'AbortError'), 'shutdown', fixed1s, 5)
    expect(outcome).toEqual({ id: 'j1', token: 7, kind: 'released' })
    expect(event.type).toBe('released')
  })

  it('a job whose thread was lost is released, with the reason on the event', () => {
    const { outcome, event } = decideOutcome(claimed(), { id: 'j1', lost: true, reason: 'thread crashed' }, undefined, fixed1s, 5)
    expect(outcome).toEqual({ id: 'j1', token: 7, kind: 'released' })
    expect(event).toMatchObject({ type: 'released', reason: 'thread crashed' })
  })
})
