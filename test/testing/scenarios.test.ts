import { afterEach, describe, expect, it } from 'vitest'
import { schedule, task, RetryLater, FatalError, type JobJSON } from '../../src/index.js'
import { createTestQueue, type TestQueue } from '../../src/testing/index.js'

// The checked scenarios of tqjs/testing: the real engine in memory, time moved by the test.
const START = '2026-03-01T12:00:00.000Z'
let q: TestQueue | undefined
afterEach(async () => {
  await q?.close()
  q = undefined
})

describe('createTestQueue', () => {
  it('runs a job delayed by a day only once the clock has moved a day', async () => {
    const ran: string[] = []
    const remind = task('remind', async (p: { who: string }) => void ran.push(p.who))
    q = await createTestQueue({ tasks: [remind], now: START })
    const job = await q.enqueue(remind, { who: 'ann' }, { delay: '1d' })
    expect(await q.runUntilIdle()).toBe(0)
    expect((await q.job(job))!.state).toBe('scheduled')
    await q.clock.advance(86_399_999)
    expect(await q.runUntilIdle()).toBe(0)
    await q.clock.advance(1)
    expect(await q.runUntilIdle()).toBe(1)
    expect(ran).toEqual(['ann'])
    expect(await q.job(job)).toMatchObject({ state: 'succeeded', runAt: '2026-03-02T12:00:00.000Z', startedAt: '2026-03-02T12:00:00.000Z' })
  })

  it('passes three retries with exponential backoff (1s, 2s, 4s) by advancing the clock', async () => {
    const attempts: number[] = []
    const flaky = task('flaky', async (_p: null, ctx) => {
      attempts.push(ctx.attempt)
      if (ctx.attempt <= 3) throw new Error(`boom ${ctx.attempt}`)
      return 'ok'
    }, { retries: 3, backoff: { type: 'exponential', delay: '1s' } })
    q = await createTestQueue({ tasks: [flaky], now: START })
    const job = await q.enqueue(flaky, null)
    await q.runUntilIdle()
    for (const wait of [1000, 2000, 4000]) {
      const before = (await q.job(job))!
      expect(before.state).toBe('scheduled')
      expect(Date.parse(before.runAt) - q.clock.now()).toBe(wait)
      await q.clock.advance(wait - 1)
      expect(await q.runUntilIdle()).toBe(0)
      await q.clock.advance(1)
      expect(await q.runUntilIdle()).toBe(1)
    }
    const done = (await q.job(job))!
    expect(attempts).toEqual([1, 2, 3, 4])
    expect(done).toMatchObject({ state: 'succeeded', attempt: 4, result: 'ok' })
    expect(done.errors.map((e) => e.message)).toEqual(['boom 1', 'boom 2', 'boom 3'])
    expect(await handleResult(q, job.id)).toBe('ok')
  })

  it('plays the same retries out in order with runFor', async () => {
    const flaky = task('flaky', async (_p: null, ctx) => {
      if (ctx.attempt <= 3) throw new Error('boom')
      return ctx.attempt
    }, { retries: 3, backoff: { type: 'exponential', delay: '1s' } })
    q = await createTestQueue({ tasks: [flaky], now: START })
    const job = await q.enqueue(flaky, null)
    expect(await q.runFor('1h')).toBe(4)
    expect(await q.job(job)).toMatchObject({ state: 'succeeded', result: 4, finishedAt: '2026-03-01T12:00:07.000Z' })
    expect(q.clock.date().toISOString()).toBe('2026-03-01T13:00:00.000Z')
  })

  it('fires a schedule every 5 minutes 12 times in a simulated hour', async () => {
    const ticks: string[] = []
    const tick = task('tick', async (_p: null) => void ticks.push('tick'))
    const every5 = schedule({ every: '5m' }, tick, { name: 'every5' })
    q = await createTestQueue({ tasks: [tick, every5], now: START })
    await q.clock.advance('1h')
    expect(await q.runUntilIdle()).toBe(12)
    expect(ticks).toHaveLength(12)
    const jobs = await q.jobs({ task: 'tick' })
    expect(jobs.map((j) => j.id).sort()[0]).toBe('schedule:every5:2026-03-01T12:05:00.000Z')
    expect(jobs.every((j) => j.state === 'succeeded')).toBe(true)
  })

  it('fires a cron schedule from a module 12 times an hour, run in order by runFor', async () => {
    const ran: number[] = []
    const mod = {
      ping: task('ping', async (_p: null, ctx) => void ran.push(ctx.attempt)),
      pingEvery5: schedule('*/5 * * * *', 'ping', { tz: 'UTC' }),
    }
    q = await createTestQueue({ tasks: [mod], now: START })
    expect(await q.runFor('1h')).toBe(12)
    expect((await q.jobs({ state: 'succeeded' })).map((j) => j.id)).toContain('schedule:pingEvery5:2026-03-01T13:00:00.000Z')
  })

  it('gives a result with a Date back as a string, as JSON does in production', async () => {
    const stamp = task('stamp', async (_p: null) => ({ at: new Date('2026-01-02T03:04:05.000Z') }))
    q = await createTestQueue({ tasks: [stamp] })
    const handle = await q.enqueue(stamp, null)
    await q.runUntilIdle()
    const result = await handle.result()
    expect(result.at).toBe('2026-01-02T03:04:05.000Z')
    expect(typeof result.at).toBe('string')
    expect((await q.job(handle))!.result).toEqual({ at: '2026-01-02T03:04:05.000Z' })
  })

  it('fails a result JSON cannot hold, as a worker does', async () => {
    const big = task('big', async (_p: null) => ({ n: 1n }) as unknown as { n: number })
    q = await createTestQueue({ tasks: [big] })
    const h = await q.enqueue(big, null)
    await q.runUntilIdle()
    expect((await q.job(h))!.error!.message).toMatch(/result is not JSON-serialisable/)
  })

  it('checks schemas: refuses an invalid payload at enqueue, and fails one that got in by name before the run', async () => {
    const positive = {
      parse(v: unknown) {
        if (typeof (v as { n?: unknown })?.n !== 'number' || (v as { n: number }).n <= 0) throw new Error('n must be positive')
        return v as { n: number }
      },
    }
    const double = task('double', async (p: { n: number }) => p.n * 2, { schema: positive, retries: 5 })
    q = await createTestQueue({ tasks: [double] })
    await expect(q.enqueue(double, { n: -1 })).rejects.toThrow(/payload for double is invalid: n must be positive/)
    expect(await q.jobs()).toEqual([])
    const ok = await q.enqueue(double, { n: 21 })
    await q.runUntilIdle()
    expect(await ok.result()).toBe(42)
  })

  it('keeps a unique key while its job waits, and frees it once the job has run', async () => {
    const sync = task('sync', async (p: { user: string }) => p.user, { unique: (p) => p.user })
    q = await createTestQueue({ tasks: [sync] })
    const a = await q.enqueue(sync, { user: 'u1' })
    const b = await q.enqueue(sync, { user: 'u1' })
    expect(b.id).toBe(a.id)
    expect(b.created).toBe(false)
    expect((await q.job(a))!.key).toBe('sync#u1')
    await q.runUntilIdle()
    const c = await q.enqueue(sync, { user: 'u1' })
    expect(c.created).toBe(true)
    expect(c.id).not.toBe(a.id)
  })

  it('runs children enqueued with ctx.enqueue in the same runUntilIdle, linked to their parent', async () => {
    const leaf = task('leaf', async (p: { n: number }) => p.n + 1, { queue: 'leaves' })
    const fan = task('fan', async (p: { n: number }, ctx) => {
      for (let i = 0; i < p.n; i++) await ctx.enqueue(leaf, { n: i })
      await ctx.enqueue('leaf', { n: 100 }, { queue: 'elsewhere' })
      return 'fanned'
    })
    q = await createTestQueue({ tasks: [fan, leaf] })
    const parent = await q.enqueue(fan, { n: 3 })
    expect(await q.runUntilIdle()).toBe(5)
    const kids = await q.jobs({ task: 'leaf' })
    expect(kids).toHaveLength(4)
    expect(kids.every((k) => k.parentId === parent.id && k.state === 'succeeded')).toBe(true)
    expect(kids.map((k) => k.result).sort((x, y) => (x as number) - (y as number))).toEqual([1, 2, 3, 101])
    expect(kids.find((k) => k.result === 101)!.queue).toBe('elsewhere')
  })

  it('runNext runs one job: the next by priority', async () => {
    const order: string[] = []
    const t = task('t', async (p: string) => void order.push(p))
    q = await createTestQueue({ tasks: [t] })
    await q.enqueue(t, 'low')
    const high = await q.enqueue(t, 'high', { priority: 5 })
    const first = (await q.runNext()) as JobJSON
    expect(first).toMatchObject({ id: high.id, state: 'succeeded' })
    expect(order).toEqual(['high'])
    expect(await q.runNext()).toMatchObject({ payload: 'low' })
    expect(await q.runNext()).toBeNull()
  })

  it('honours RetryLater and FatalError', async () => {
    const later = task('later', async (_p: null, ctx) => {
      if (ctx.attempt === 1) throw new RetryLater('10m')
      return ctx.attempt
    }, { retries: 1 })
    const fatal = task('fatal', async (_p: null) => {
      throw new FatalError('bad input')
    }, { retries: 5 })
    q = await createTestQueue({ tasks: [later, fatal], now: START })
    const a = await q.enqueue(later, null)
    const b = await q.enqueue(fatal, null)
    await q.runUntilIdle()
    expect(await q.job(a)).toMatchObject({ state: 'scheduled', runAt: '2026-03-01T12:10:00.000Z', errors: [] })
    expect(await q.job(b)).toMatchObject({ state: 'failed', attempt: 1, error: { name: 'FatalError', message: 'bad input' } })
    await q.clock.advance('10m')
    await q.runUntilIdle()
    expect(await q.job(a)).toMatchObject({ state: 'succeeded', result: 2 })
  })

  it('expires a job not started in time', async () => {
    const brief = task('brief', async (_p: null) => 'ran', { expires: '1h' })
    q = await createTestQueue({ tasks: [brief], now: START })
    const late = await q.enqueue(brief, null, { delay: '1m' })
    await q.clock.advance('61m')
    expect(await q.runUntilIdle()).toBe(0)
    expect(await q.job(late)).toMatchObject({ state: 'expired', result: null })
  })

  it('spaces a rate-limited task on the clock: one start a minute', async () => {
    const limited = task('limited', async (p: number) => p, { rateLimit: '1/m' })
    q = await createTestQueue({ tasks: [limited], now: START })
    await q.enqueueMany(limited, [1, 2, 3])
    await q.runUntilIdle()
    expect((await q.jobs({ state: 'succeeded' })).map((j) => j.result)).toEqual([1])
    await q.runFor('10m')
    const starts = (await q.jobs({ state: 'succeeded' })).map((j) => j.startedAt).sort()
    expect(starts).toEqual(['2026-03-01T12:00:00.000Z', '2026-03-01T12:01:00.000Z', '2026-03-01T12:02:00.000Z'])
  })

  it('clears a result once the clock passes its resultTtl, and keeps the job', async () => {
    const brief = task('brief', async () => ({ ok: true }), { resultTtl: '1h' })
    q = await createTestQueue({ tasks: [brief] })
    const h = await q.enqueue(brief, null)
    await q.runUntilIdle()
    expect((await q.job(h))!.result).toEqual({ ok: true })
    await q.clock.advance('1h')
    expect(await q.job(h)).toMatchObject({ state: 'succeeded', result: null })
  })

  it('times an attempt out when the clock passes its timeout', async () => {
    let started = false
    const hang = task('hang', async (_p: null, ctx) => {
      started = true
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))
      return 'stopped'
    }, { timeout: '30s' })
    q = await createTestQueue({ tasks: [hang] })
    const h = await q.enqueue(hang, null)
    const run = q.runUntilIdle()
    await expect.poll(() => started).toBe(true)
    await q.clock.advance('30s')
    await run
    expect(await q.job(h)).toMatchObject({ state: 'failed', error: { name: 'TimeoutError' } })
  })

  it('keeps ctx.log lines and ctx.progress per job', async () => {
    const chatty = task('chatty', async (p: string, ctx) => {
      ctx.log('hello', p)
      ctx.progress(0.5)
    })
    q = await createTestQueue({ tasks: [chatty] })
    const h = await q.enqueue(chatty, 'x')
    await q.runUntilIdle()
    expect(q.logs(h.id).map((l) => l.line)).toEqual(['hello x'])
    expect((await q.job(h))!.progress).toBe(0.5)
  })

  it('refuses an unknown task name and bad options with one-line typed errors', async () => {
    const t = task('t', async () => undefined)
    q = await createTestQueue({ tasks: [t] })
    await expect(q.enqueue('nope' as never, null as never)).rejects.toThrow(/unknown task "nope"/)
    await expect(q.clock.advance('soon')).rejects.toThrow(/invalid clock.advance duration "soon"/)
    await expect(q.clock.set('2000-01-01')).rejects.toThrow(/would move time back/)
    await expect(createTestQueue({ tasks: [42 as never] })).rejects.toThrow(/tasks\[0\] is number, not a task, schedule or module/)
  })

  it('stops a job that enqueues itself forever instead of spinning', async () => {
    const again: ReturnType<typeof task<null, void>> = task('again', async (_p: null, ctx) => void (await ctx.enqueue(again, null)))
    q = await createTestQueue({ tasks: [again], maxJobs: 50 })
    await q.enqueue(again, null)
    await expect(q.runUntilIdle()).rejects.toThrow(/more are still ready: a job may enqueue another forever/)
  })
})

/** The handle's result(): resolves at once once the job has finished. */
async function handleResult(q: TestQueue, id: string): Promise<unknown> {
  return (await q.job(id))!.result
}
