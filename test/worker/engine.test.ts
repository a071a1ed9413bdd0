import { afterEach, describe, expect, it, vi } from 'vitest'
import { Client } from '../../src/app/client.js'
import { ProjectFixture } from './fixture.js'

const TASKS = `
import { task, RetryLater, FatalError } from 'tqjs'
export const echo = task('echo', async (p: { v: unknown }) => ({ echoed: p.v }))
export const boom = task('boom', async () => { throw new Error('kaboom') })
export const exits = task('exits', async () => { process.exit(3) })
export const spin = task('spin', async () => { while (true) {} }, { timeout: '1s' })
export const slow = task('slow', async (_p: unknown, ctx) => {
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 30_000)
    ctx.signal.addEventListener('abort', () => { clearTimeout(t); reject(ctx.signal.reason) })
  })
})
export const flaky = task('flaky', async () => { throw new Error('again') }, {
  retries: 3, backoff: { type: 'exponential', delay: '100ms' },
})
export const later = task('later', async (_p: unknown, ctx) => {
  if (ctx.attempt === 1) throw new RetryLater('200ms')
  return { attempt: ctx.attempt }
}, { retries: 2 })
export const fatal = task('fatal', async () => { throw new FatalError('bad input') }, { retries: 5 })
export const progress = task('progress', async (_p: unknown, ctx) => {
  ctx.progress(0.5)
  await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
})
export const parent = task('parent', async (_p: unknown, ctx) => {
  const child = await ctx.enqueue('echo', { v: 'child' })
  return { child: child.id }
})
export const ttl = task('ttl', async () => 'kept briefly', { resultTtl: '1ms' })
`

describe('worker engine', () => {
  let fx: ProjectFixture
  afterEach(async () => fx?.close())

  it('runs a job in a task thread and stores its typed result', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker({ concurrency: 4 })
    const job = await client.enqueue('echo', { v: [1, 'two'] })
    expect(await job.result({ timeout: '10s' })).toEqual({ echoed: [1, 'two'] })
  })

  it('survives a task that throws and one that calls process.exit(), then runs other jobs', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker({ concurrency: 4, threads: 2 })
    const boom = await client.enqueue('boom', null)
    const exits = await client.enqueue('exits', null)
    await expect(boom.result({ timeout: '10s' })).rejects.toThrow('kaboom')
    await expect(exits.result({ timeout: '10s' })).rejects.toThrow('process.exit(3)')
    const after = await Promise.all([1, 2, 3].map((v) => client.enqueue('echo', { v })))
    expect(await Promise.all(after.map((h) => h.result({ timeout: '10s' })))).toEqual([{ echoed: 1 }, { echoed: 2 }, { echoed: 3 }])
  })

  it('stops a task that never yields at its timeout; the worker carries on', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker({ concurrency: 4, threads: 1 })
    const spin = await client.enqueue('spin', null)
    const err = await spin.result({ timeout: '10s' }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/timed out/)
    const job = await spin.get()
    expect(job).toMatchObject({ state: 'failed', error: { name: 'TimeoutError' } })
    // The attempt lasted at least its timeout, as the broker recorded it. That the spinning thread
    // was ended is shown by the next job running; how soon it ends is a latency, not a semantic.
    const ran = Date.parse(job!.finishedAt!) - Date.parse(job!.startedAt!)
    expect(ran).toBeGreaterThanOrEqual(1000)
    expect(await (await client.enqueue('echo', { v: 'after' })).result({ timeout: '10s' })).toEqual({ echoed: 'after' })
  })

  it('retries with exponential backoff whose gaps grow', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker()
    const h = await client.enqueue('flaky', null)
    await expect(h.result({ timeout: '15s' })).rejects.toThrow('again')
    const job = (await h.get())!
    expect(job).toMatchObject({ state: 'failed', attempt: 4, maxAttempts: 4 })
    const times = job.errors.map((e) => Date.parse(e.at!))
    expect(job.errors.map((e) => e.attempt)).toEqual([1, 2, 3, 4])
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    // delays 100, 200, 400 ms (no jitter): each gap at least its delay, and growing.
    expect(gaps[0]).toBeGreaterThanOrEqual(100)
    expect(gaps[1]).toBeGreaterThanOrEqual(200)
    expect(gaps[2]).toBeGreaterThanOrEqual(400)
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!)
  })

  it('retries later on request without recording an error, and never retries a FatalError', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker()
    const later = await client.enqueue('later', null)
    expect(await later.result({ timeout: '10s' })).toEqual({ attempt: 2 })
    expect((await later.get())!.errors).toEqual([])
    const fatal = await client.enqueue('fatal', null)
    await expect(fatal.result({ timeout: '10s' })).rejects.toThrow('bad input')
    expect(await fatal.get()).toMatchObject({ state: 'failed', attempt: 1, maxAttempts: 6 })
  })

  it('cancels a running job through ctx.signal, ending it cancelled and not retried', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker()
    const h = await client.enqueue('slow', null)
    await fx.until(broker, h.id, ['active'])
    await h.cancel()
    const job = await fx.until(broker, h.id, ['cancelled', 'failed', 'succeeded'])
    expect(job.state).toBe('cancelled')
  })

  it('stores progress while the job runs', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker()
    const h = await client.enqueue('progress', null)
    await vi.waitFor(async () => expect(await h.get()).toMatchObject({ state: 'active', progress: 0.5 }), { timeout: 30_000, interval: 50 })
    await h.cancel()
  })

  it('links children enqueued through ctx.enqueue to their parent', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker()
    const h = await client.enqueue('parent', null)
    const { child } = (await h.result({ timeout: '10s' })) as { child: string }
    expect((await broker.getJob(child))!.parentId).toBe(h.id)
    expect((await broker.children(h.id)).map((c) => c.id)).toEqual([child])
  })

  it('holds back a paused queue until it is resumed', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const broker = await fx.broker()
    await broker.pause('default')
    await fx.worker()
    const h = await client.enqueue('echo', { v: 1 })
    // The worker is idle and polling the broker; give it several wake-ups.
    for (let i = 0; i < 5; i++) await broker.waitForChange(100)
    expect((await h.get())!.state).toBe('queued')
    await broker.resume('default')
    expect(await h.result({ timeout: '10s' })).toEqual({ echoed: 1 })
  })

  it('returns the same job for the same unique key', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const a = await client.enqueue('echo', { v: 1 }, { key: 'k', delay: '1h' })
    const b = await client.enqueue('echo', { v: 2 }, { key: 'k', delay: '1h' })
    expect(b.id).toBe(a.id)
    expect(b.created).toBe(false)
  })

  it('expires a job not started in time without running it', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    const h = await client.enqueue('echo', { v: 1 }, { expires: 0 })
    await fx.worker()
    await expect(h.result({ timeout: '10s' })).rejects.toThrow(/expired/)
    expect((await h.get())!.startedAt).toBeNull()
  })
})

describe('payload schemas', () => {
  let fx: ProjectFixture
  afterEach(async () => fx?.close())

  const SCHEMA_TASKS = `
import { task } from 'tqjs'
// A minimal schema object (zod and others have the same parse()).
const toAddress = { parse(v: unknown) { if (typeof (v as any)?.to !== 'string') throw new Error('to must be a string'); return v as { to: string } } }
export const mail = task('mail', async (p: { to: string }) => ({ sent: p.to }), { schema: toAddress, retries: 3 })
`

  it('refuses an invalid payload at enqueue, and fails one that gets in without retrying', async () => {
    fx = new ProjectFixture({ 'tasks/m.ts': SCHEMA_TASKS })
    const client = await fx.client()
    await expect(client.enqueue('mail', { to: 42 })).rejects.toThrow(/payload for mail is invalid: to must be a string/)
    await fx.worker()
    expect(await (await client.enqueue('mail', { to: 'a@b.c' })).result({ timeout: '10s' })).toEqual({ sent: 'a@b.c' })
    // A producer without the task's code (by name, no registry) gets past the first check.
    const bare = new Client(await fx.broker())
    const h = await bare.enqueue('mail', { to: 42 })
    await expect(h.result({ timeout: '10s' })).rejects.toThrow(/invalid payload: to must be a string/)
    expect(await h.get()).toMatchObject({ state: 'failed', attempt: 1 })
  })
})
