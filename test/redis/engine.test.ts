/**
 * The worker engine on the Redis broker: real task threads, real Redis, one key prefix per test.
 * (test/worker/engine.test.ts covers the engine itself on SQLite; this checks the pair works.)
 */
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { keyBase } from '../../src/broker/redis/url.js'
import { ProjectFixture } from '../worker/fixture.js'
import { deletePrefix, TEST_REDIS, uniquePrefix, urlWith } from './helpers.js'

const TASKS = `
import { task, RetryLater } from 'tqjs'
export const echo = task('echo', async (p: { v: unknown }) => ({ echoed: p.v }))
export const flaky = task('flaky', async () => { throw new Error('again') }, {
  retries: 2, backoff: { type: 'exponential', delay: '100ms' },
})
export const later = task('later', async (_p: unknown, ctx) => {
  if (ctx.attempt === 1) throw new RetryLater('200ms')
  return { attempt: ctx.attempt }
}, { retries: 2 })
export const slow = task('slow', async (_p: unknown, ctx) => {
  ctx.progress(0.5)
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 30_000)
    ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(ctx.signal.reason) })
  })
})
export const limited = task('limited', async (p: number) => p, { rateLimit: '1/m' })
export const parent = task('parent', async (_p: unknown, ctx) => {
  const child = await ctx.enqueue('echo', { v: 'child' })
  return { child: child.id }
})
`

describe('worker engine on Redis', () => {
  let fx: ProjectFixture | undefined
  let prefix = ''
  const project = () => {
    prefix = uniquePrefix()
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS }, `{ broker: ${JSON.stringify(urlWith({ prefix }))} }`)
    return fx
  }
  afterEach(async () => {
    await fx?.close()
    fx = undefined
    await deletePrefix(prefix)
  })

  it('runs jobs, children, retries with backoff and requested retries', async () => {
    const fx = project()
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker({ concurrency: 4 })
    const jobs = await client.enqueueMany('echo', [{ v: 1 }, { v: 2 }, { v: 3 }])
    expect(await Promise.all(jobs.map((j) => j.result({ timeout: '10s' })))).toEqual([{ echoed: 1 }, { echoed: 2 }, { echoed: 3 }])
    const p = await client.enqueue('parent', null)
    const { child } = (await p.result({ timeout: '10s' })) as { child: string }
    expect((await broker.children(p.id)).map((c) => c.id)).toEqual([child])
    const flaky = await client.enqueue('flaky', null)
    await expect(flaky.result({ timeout: '10s' })).rejects.toThrow('again')
    expect(await flaky.get()).toMatchObject({ state: 'failed', attempt: 3 })
    expect((await flaky.get())!.errors.map((e) => e.attempt)).toEqual([1, 2, 3])
    const later = await client.enqueue('later', null)
    expect(await later.result({ timeout: '10s' })).toEqual({ attempt: 2 })
    expect((await broker.throughput(60)).default!.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(7)
  })

  it('stores progress, then cancels a running job through its signal', async () => {
    const fx = project()
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker()
    const h = await client.enqueue('slow', null)
    await vi.waitFor(async () => expect(await h.get()).toMatchObject({ state: 'active', progress: 0.5 }), { timeout: 30_000, interval: 50 })
    await h.cancel()
    expect((await fx.until(broker, h.id, ['cancelled', 'failed', 'succeeded'])).state).toBe('cancelled')
  })

  it('holds back a paused queue until it is resumed', async () => {
    const fx = project()
    const client = await fx.client()
    const broker = await fx.broker()
    await broker.pause('default')
    await fx.worker()
    const h = await client.enqueue('echo', { v: 1 })
    for (let i = 0; i < 5; i++) await broker.waitForChange(100)
    expect((await h.get())!.state).toBe('queued')
    await broker.resume('default')
    expect(await h.result({ timeout: '10s' })).toEqual({ echoed: 1 })
  })

  it('starts jobs handed to it while idle, again and again beyond its slots, and keeps a rate limit on them', async () => {
    const fx = project()
    const client = await fx.client()
    const redis = new Redis(TEST_REDIS)
    try {
      const engine = await fx.worker({ concurrency: 2 })
      const parked = () => redis.zscore(`${keyBase(prefix)}parked:default`, engine.id)
      for (let i = 0; i < 5; i++) {
        // Parked again once the last job ended (its claim from Redis): the enqueue hands it the job.
        await vi.waitFor(async () => expect(await parked()).not.toBeNull(), { timeout: 5000 })
        const h = await client.enqueue('echo', { v: i })
        // Handed in the enqueue's own script: already leased (and maybe already done) once it returned.
        const seen = await h.get()
        expect(['active', 'succeeded']).toContain(seen!.state)
        expect(seen!.attempt).toBe(1)
        expect(await h.result({ timeout: '10s' })).toEqual({ echoed: i })
      }
      // A rate-limited task's handed job goes through the claim path, which takes its token.
      await vi.waitFor(async () => expect(await parked()).not.toBeNull(), { timeout: 5000 })
      expect(await (await client.enqueue('limited', 1)).result({ timeout: '10s' })).toBe(1)
      await vi.waitFor(async () => expect(await parked()).not.toBeNull(), { timeout: 5000 })
      const second = await client.enqueue('limited', 2)
      await vi.waitFor(async () => expect(await second.get()).toMatchObject({ state: 'scheduled', attempt: 0 }), { timeout: 5000 })
    } finally {
      redis.disconnect()
    }
  })
})
