/**
 * buildNewJob: task defaults plus enqueue options → what the broker stores. Used by the client,
 * beat (schedule queue/priority) and ctx.enqueue (parentId), so its precedence rules are the
 * option merging of an enqueue. The unique key's text encoding is deliberately not asserted:
 * only that it is scoped to the task and that equal inputs give equal keys.
 */
import { describe, expect, it } from 'vitest'
import { buildNewJob } from '../../src/app/new-job.js'
import type { TaskOptions } from '../../src/app/task.js'
import { UsageError } from '../../src/errors.js'

const NOW = Date.parse('2026-03-01T12:00:00Z')
const build = (taskOptions: TaskOptions<any> | undefined, payload: unknown, opts = {}) => buildNewJob('mail.send', taskOptions, payload, opts, NOW)

describe('defaults', () => {
  it('a bare enqueue: queue default, priority 0, one attempt, runs now, no key, parent or expiry', () => {
    expect(build(undefined, { to: 'a' })).toEqual({
      task: 'mail.send', queue: 'default', payload: '{"to":"a"}', priority: 0, runAt: NOW, maxAttempts: 1, key: null, parentId: null, expiresAt: null,
    })
  })

  it('an undefined payload is stored as null', () => {
    expect(build(undefined, undefined).payload).toBe('null')
  })

  it('retries N gives N + 1 attempts', () => {
    expect(build({ retries: 5 }, {}).maxAttempts).toBe(6)
  })
})

describe('task options vs enqueue options', () => {
  const taskOptions: TaskOptions<unknown> = { queue: 'emails', priority: 5, expires: '1h' }

  it('task options fill in what the enqueue leaves out', () => {
    expect(build(taskOptions, {})).toMatchObject({ queue: 'emails', priority: 5, expiresAt: NOW + 3_600_000 })
  })

  it('enqueue options win over task options', () => {
    expect(build(taskOptions, {}, { queue: 'urgent', priority: 9, expires: '1m' })).toMatchObject({ queue: 'urgent', priority: 9, expiresAt: NOW + 60_000 })
  })

  it('an explicit enqueue priority of 0 wins over the task priority (0 is a value, not "unset")', () => {
    expect(build(taskOptions, {}, { priority: 0 }).priority).toBe(0)
  })

  it('enqueue options given as undefined fall back to the task (beat passes a schedule queue/priority that way)', () => {
    expect(build(taskOptions, {}, { queue: undefined, priority: undefined })).toMatchObject({ queue: 'emails', priority: 5 })
  })

  it('parentId comes from the enqueue only', () => {
    expect(build(undefined, {}, { parentId: 'p1' }).parentId).toBe('p1')
  })
})

describe('run time: delay and at', () => {
  it('delay is added to now', () => {
    expect(build(undefined, {}, { delay: '10s' }).runAt).toBe(NOW + 10_000)
    expect(build(undefined, {}, { delay: 250 }).runAt).toBe(NOW + 250)
  })

  it('at accepts an ISO string, a Date or epoch ms; at with delay is refused', () => {
    const at = '2026-04-01T09:00:00Z'
    expect(build(undefined, {}, { at }).runAt).toBe(Date.parse(at))
    expect(build(undefined, {}, { at: new Date(at) }).runAt).toBe(Date.parse(at))
    expect(build(undefined, {}, { at: Date.parse(at) }).runAt).toBe(Date.parse(at))
    expect(() => build(undefined, {}, { at, delay: '1h' })).toThrow(UsageError)
  })

  it('refuses an unparseable time or delay with a UsageError', () => {
    expect(() => build(undefined, {}, { at: 'tomorrow-ish' })).toThrow(UsageError)
    expect(() => build(undefined, {}, { delay: 'soon' })).toThrow(UsageError)
  })
})

describe('expires', () => {
  it('counts from the run time, not from now (a delayed job gets its full window)', () => {
    expect(build({ expires: '5m' }, {}, { delay: '1h' }).expiresAt).toBe(NOW + 3_600_000 + 300_000)
    expect(build(undefined, {}, { at: '2026-04-01T09:00:00Z', expires: '1m' }).expiresAt).toBe(Date.parse('2026-04-01T09:00:00Z') + 60_000)
  })

  it('expires 0 expires at the run time itself', () => {
    expect(build({ expires: 0 }, {}).expiresAt).toBe(NOW)
  })
})

describe('unique key', () => {
  const keyOf = (task: string, taskOptions: TaskOptions<any> | undefined, payload: unknown, opts = {}) => buildNewJob(task, taskOptions, payload, opts, NOW).key

  it('comes from unique(payload), or from --key, and is null with neither', () => {
    expect(keyOf('t', undefined, {})).toBeNull()
    const fromUnique = keyOf('t', { unique: (p: { to: string }) => p.to }, { to: 'a@b.c' })
    expect(fromUnique).toEqual(keyOf('t', undefined, {}, { key: 'a@b.c' }))
    expect(fromUnique).not.toBeNull()
  })

  it('an enqueue key wins over the task unique()', () => {
    const both = keyOf('t', { unique: () => 'from-task' }, {}, { key: 'given' })
    expect(both).toEqual(keyOf('t', undefined, {}, { key: 'given' }))
    expect(both).not.toEqual(keyOf('t', undefined, {}, { key: 'from-task' }))
  })

  it('is scoped to the task: the same key under two tasks does not collide', () => {
    expect(keyOf('a', undefined, {}, { key: 'k' })).not.toEqual(keyOf('b', undefined, {}, { key: 'k' }))
    expect(keyOf('a', undefined, {}, { key: 'k' })).toEqual(keyOf('a', undefined, {}, { key: 'k' }))
  })
})

describe('schema', () => {
  const schema = {
    parse(value: unknown) {
      const v = value as { to?: unknown }
      if (typeof v?.to !== 'string') throw new Error('to: expected a string')
      return { to: v.to.toLowerCase() }
    },
  }

  it('stores the parsed payload, and unique() sees the parsed value', () => {
    const job = build({ schema, unique: (p: { to: string }) => p.to }, { to: 'A@B.C', extra: 1 })
    expect(JSON.parse(job.payload)).toEqual({ to: 'a@b.c' })
    expect(job.key).toEqual(build(undefined, {}, { key: 'a@b.c' }).key)
  })

  it('refuses an invalid payload with a UsageError naming the task and the problem', () => {
    expect(() => build({ schema }, { to: 42 })).toThrow(UsageError)
    expect(() => build({ schema }, { to: 42 })).toThrow(/mail\.send.*to: expected a string/)
  })

  it('a schema that is only a flag (the engine and beat see `schema: true`) is not applied', () => {
    expect(build({ schema: true } as never, { to: 42 }).payload).toBe('{"to":42}')
  })
})

describe('payload', () => {
  it('refuses a payload that is not JSON', () => {
    expect(() => build(undefined, { n: 1n })).toThrow(UsageError)
    expect(() => build(undefined, () => 1)).toThrow(UsageError)
  })
})

describe('times', () => {
  it('are whole milliseconds, as brokers store them, when a delay or expiry has a fraction', () => {
    const job = buildNewJob('t', { expires: 0.4 }, {}, { delay: 0.5 }, 1000)
    expect(job.runAt).toBe(1001)
    expect(job.expiresAt).toBe(1001)
    expect(buildNewJob('t', undefined, {}, { at: 2000.7 }, 1000).runAt).toBe(2001)
  })
})
