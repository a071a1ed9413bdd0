/** The observability keys of tq.config.ts: instrumentation, tracing, hooks; and the small pieces they use. */
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../src/app/validate-config.js'
import { ConfigError, UsageError } from '../../src/errors.js'
import { parseMetricsAddress } from '../../src/metrics/address.js'
import { passes } from '../../src/cli-support/watch-events.js'
import { packJobs, unpackJobs } from '../../src/worker/protocol.js'

describe('observability config keys', () => {
  const check = (config: unknown) => () => validateConfig(config as never, 'tq.config.ts')

  it('accepts instrumentation, tracing and hooks as documented', () => {
    expect(check({ instrumentation: './otel.ts', tracing: { enabled: false, parent: false }, hooks: { failed: () => undefined, succeeded: async () => undefined, timeout: '2s' } })).not.toThrow()
  })

  it('names the key and what it must be', () => {
    expect(check({ instrumentation: 3 })).toThrow(/instrumentation must be a module path/)
    expect(check({ tracing: true })).toThrow(/tracing must be an object/)
    expect(check({ tracing: { enabled: 'yes' } })).toThrow(/tracing\.enabled must be true or false/)
    expect(check({ tracing: { parnet: false } })).toThrow(expect.objectContaining({ hint: 'did you mean tracing.parent?' }))
    expect(check({ hooks: { failed: 'slack' } })).toThrow(/hooks\.failed must be a function/)
    expect(check({ hooks: { retryng: () => undefined } })).toThrow(expect.objectContaining({ hint: 'did you mean hooks.retrying?' }))
    expect(check({ hooks: { timeout: 'soon' } })).toThrow(/hooks\.timeout must be a duration/)
    expect(check({ hooks: { failed: 1 } })).toThrow(ConfigError)
  })
})

describe('--metrics addresses', () => {
  it('takes a port, :port, host:port and [v6]:port', () => {
    expect(parseMetricsAddress('9464')).toEqual({ host: undefined, port: 9464 })
    expect(parseMetricsAddress(':9464')).toEqual({ host: undefined, port: 9464 })
    expect(parseMetricsAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 })
    expect(parseMetricsAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 })
  })
  it('refuses anything else with a usage error naming the fix', () => {
    for (const bad of ['', 'abc', '1:2:3', '70000', 'host:', 'http://x:1']) expect(() => parseMetricsAddress(bad)).toThrow(UsageError)
  })
})

describe('tq events filters', () => {
  const job = { type: 'succeeded' as const, at: 0, id: 'j', task: 'a', queue: 'q' }
  it('keep matching jobs and every worker event', () => {
    expect(passes(job, {})).toBe(true)
    expect(passes(job, { tasks: ['a'], queues: ['q'] })).toBe(true)
    expect(passes(job, { tasks: ['b'] })).toBe(false)
    expect(passes(job, { queues: ['other'] })).toBe(false)
    expect(passes({ type: 'worker-online', at: 0, worker: 'w' }, { tasks: ['b'] })).toBe(true)
  })
})

describe('the run message carries what the attempt span needs', () => {
  it('packs and unpacks the queue and trace context of each job', () => {
    const jobs = [
      { id: 'a', task: 't', payload: '{}', attempt: 1, maxAttempts: 2, flag: 3, queue: 'q', headers: '{"traceparent":"x"}' },
      { id: 'b', task: 't', payload: '1', attempt: 2, maxAttempts: 2, flag: 4, queue: 'r', headers: null },
    ]
    expect(unpackJobs(packJobs(jobs))).toEqual(jobs)
  })
})
