import { afterEach, describe, expect, it, vi } from 'vitest'
import { JobHandle } from '../../src/app/job-handle.js'
import { keyBase } from '../../src/broker/redis/url.js'
import type { NewJob } from '../../src/broker/types.js'
import { redisScope } from './scope.js'

// A producer waiting on a job (JobHandle.result) is handed the ended job with the notification
// (watch-job.lua, lib.lua tell_waiters): no read after it, and nothing more for jobs nobody waits for.

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })
const claimReq = { workerId: 'w', queues: ['q'], limit: 100, leaseMs: 30_000 }

const { open, raw, startProxy, newPrefix, cleanup } = redisScope()
afterEach(cleanup)

describe('Redis: a waited job ends with its result pushed to the waiter', () => {
  it('sends the waiter no command between its watch and the result', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const producer = await open(prefix, proxy.url())
    const worker = await open(prefix)
    const [r] = await producer.enqueue([job()])
    const jobKey = `${keyBase(prefix)}job:${r!.id}`
    const redis = raw()
    const waiting = producer.waitForJob!(r!.id, 3_600_000)
    // The watch has run once the job names its waiter.
    await vi.waitFor(async () => expect(await redis.hget(jobKey, 'waiters')).toMatch(/^[0-9a-f]{16}$/), { timeout: 5000 })
    const before = proxy.commands
    const [c] = (await worker.claim(claimReq)).jobs
    await worker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '{"sum":3}' }])
    expect(await waiting).toMatchObject({ id: r!.id, state: 'succeeded', result: { sum: 3 } })
    expect(proxy.commands - before).toBe(0)
    // Told once: the job no longer names a waiter.
    expect(await redis.hget(jobKey, 'waiters')).toBeNull()
  })

  it("JobHandle.result() resolves from the push, and each of two producers' waits is told", async () => {
    const prefix = newPrefix()
    const [a, b, worker] = [await open(prefix), await open(prefix), await open(prefix)]
    const [r] = await a.enqueue([job()])
    const results = [new JobHandle(a, r!.id).result({ timeout: '1h' }), new JobHandle(b, r!.id).result({ timeout: '1h' }), new JobHandle(b, r!.id).result({ timeout: '1h' })]
    const jobKey = `${keyBase(prefix)}job:${r!.id}`
    const redis = raw()
    await vi.waitFor(async () => expect(String(await redis.hget(jobKey, 'waiters')).split(' ')).toHaveLength(2), { timeout: 5000 })
    const [c] = (await worker.claim(claimReq)).jobs
    await worker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '"ok"' }])
    expect(await Promise.all(results)).toEqual(['ok', 'ok', 'ok'])
  })

  it('publishes nothing for jobs nobody waits for', async () => {
    const prefix = newPrefix()
    const [producer, worker] = [await open(prefix), await open(prefix)]
    const sub = raw()
    const got: string[] = []
    sub.on('pmessage', (_p: string, channel: string) => got.push(channel))
    await sub.psubscribe(`${prefix}events:*`)
    const jobs = await producer.enqueue(Array.from({ length: 50 }, () => job()))
    const waited = producer.waitForJob!(jobs[7]!.id, 3_600_000)
    const redis = raw()
    await vi.waitFor(async () => expect(await redis.hget(`${keyBase(prefix)}job:${jobs[7]!.id}`, 'waiters')).not.toBeNull(), { timeout: 5000 })
    const claimed = (await worker.claim(claimReq)).jobs
    await worker.settle(claimed.map((c) => ({ id: c.id, token: c.token, kind: 'succeeded' as const, result: '1' })))
    await waited
    // Messages on one connection arrive in order: once this one is in, every earlier one is.
    await redis.publish(`${prefix}events:end-of-test`, '')
    await vi.waitFor(() => expect(got).toContain(`${prefix}events:end-of-test`), { timeout: 5000 })
    // One message on a waiter's own channel (the quiet channel's 'ended' is not one).
    expect(got.filter((c) => !c.endsWith(':end-of-test') && c !== `${prefix}events:quiet`)).toHaveLength(1)
  })

  it('reads the job again when the subscription dropped while it waited', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const producer = await open(prefix, proxy.url())
    const worker = await open(prefix)
    const [r] = await producer.enqueue([job()])
    const waiting = producer.waitForJob!(r!.id, 3_600_000)
    const redis = raw()
    await vi.waitFor(async () => expect(await redis.hget(`${keyBase(prefix)}job:${r!.id}`, 'waiters')).not.toBeNull(), { timeout: 5000 })
    await proxy.stop()
    // Ended while the waiter is cut off: the message is lost, the read after reconnecting is not.
    const [c] = (await worker.claim(claimReq)).jobs
    await worker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '2' }])
    await proxy.start()
    expect(await waiting).toMatchObject({ id: r!.id, state: 'succeeded', result: 2 })
  })
})
