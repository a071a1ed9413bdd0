/**
 * A job that ends while Redis is unreachable: the worker keeps trying to save its outcome while
 * the lease may still be current, names the outage, and the outcome is saved once Redis is back.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker } from '../../src/broker/types.js'
import { ProjectFixture } from '../worker/fixture.js'
import { deletePrefix, TEST_REDIS, uniquePrefix, urlWith } from '../redis/helpers.js'
import { RedisProxy } from '../redis/proxy.js'

const TASKS = `
import { task } from 'tqjs'
import { existsSync } from 'node:fs'
// Runs until the test creates the gate file.
export const gated = task('gated', async (p: { gate: string }) => {
  while (!existsSync(p.gate)) await new Promise((r) => setTimeout(r, 20))
  return 'done'
})
`

describe('settling while Redis is down', () => {
  let fx: ProjectFixture | undefined
  let proxy: RedisProxy | undefined
  let direct: Broker | undefined
  const prefix = uniquePrefix()
  afterEach(async () => {
    await proxy?.stop()
    await fx?.close()
    await direct?.close()
    await deletePrefix(prefix)
  })

  it('keeps trying while the lease may be current, names the outage, and saves the outcome once Redis is back', async () => {
    const target = new URL(TEST_REDIS)
    proxy = new RedisProxy(target.hostname, Number(target.port || 6379))
    await proxy.start()
    const viaProxy = urlWith({ prefix, connectTimeout: '1s' }, proxy.url())
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS }, `{ broker: ${JSON.stringify(viaProxy)}, worker: { lease: '20s' } }`)
    direct = await openBroker(urlWith({ prefix }), fx.dir)
    const errors: string[] = []
    await fx.worker({ onError: (e) => errors.push(e.message) })
    const gate = join(fx.dir, 'gate')
    const [job] = await direct.enqueue([{ id: 'gated-1', task: 'gated', queue: 'default', payload: JSON.stringify({ gate }), priority: 0, runAt: Date.now(), maxAttempts: 1 }])
    await vi.waitFor(async () => expect((await direct!.getJob(job!.id))?.state).toBe('active'), { timeout: 20_000, interval: 50 })

    await proxy.stop() // Redis unreachable for the worker
    writeFileSync(gate, '') // the job ends now: its outcome cannot be saved yet
    expect(existsSync(gate)).toBe(true)
    await vi.waitFor(() => expect(errors.some((m) => /could not save the outcome of 1 job\(s\): .*Redis/.test(m))).toBe(true), { timeout: 20_000, interval: 50 })
    await proxy.start() // back, on the same port

    await vi.waitFor(async () => expect((await direct!.getJob(job!.id))?.state).toBe('succeeded'), { timeout: 20_000, interval: 50 })
    expect(await direct.getJob(job!.id)).toMatchObject({ attempt: 1, result: 'done' })
    expect(fx.events.filter((e) => e.type === 'rejected')).toEqual([])
    expect(errors.some((m) => /lease/.test(m))).toBe(false)
  })
})
