import { afterEach, describe, expect, it } from 'vitest'
import { task } from 'tqjs'
import { createTestQueue, type TestQueue } from 'tqjs/testing'
// The task modules themselves: their code runs in this test, so vi.mock reaches what they import.
import * as tasks from '../tasks/example.js'

// Each test gets its own queue: a real tq engine in memory, on a clock the test moves.
let q: TestQueue
afterEach(() => q.close())

describe('tasks/example.ts', () => {
  it('sums numbers; the result comes back as JSON, as from a worker', async () => {
    q = await createTestQueue({ tasks: [tasks] })
    const job = await q.enqueue(tasks.sum, { numbers: [1, 2, 3] })
    await q.runUntilIdle() // runs every ready job, and those they enqueue
    expect(await job.result()).toEqual({ total: 6 })
    expect((await q.job(job))!.progress).toBe(1)
  })

  it('sends a welcome email a day after signup', async () => {
    q = await createTestQueue({ tasks: [tasks] })
    const job = await q.enqueue(tasks.sendWelcomeTask, { to: 'a@b.c' }, { delay: '1d' })
    expect(await q.runUntilIdle()).toBe(0) // not due yet
    await q.clock.advance('1d')
    await q.runUntilIdle()
    expect(await job.result()).toEqual({ sent: true, to: 'a@b.c' })
  })

  it('runs the everyHalfMinute schedule twice a minute', async () => {
    q = await createTestQueue({ tasks: [tasks] })
    await q.clock.advance('1h')
    expect(await q.runUntilIdle()).toBe(120)
    const runs = await q.jobs({ task: 'math.sum', state: 'succeeded' })
    expect(runs).toHaveLength(120)
    expect(runs[0]!.result).toEqual({ total: 6 })
  })

  it('retries a failing task with exponential backoff as the clock passes', async () => {
    // A task defined in the test: fails twice, then succeeds.
    const flaky = task('test.flaky', async (_p: null, ctx) => {
      if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`)
      return { attempts: ctx.attempt }
    }, { retries: 3, backoff: { type: 'exponential', delay: '1s' } })
    q = await createTestQueue({ tasks: [tasks, flaky] })
    const job = await q.enqueue(flaky, null)
    await q.runUntilIdle()
    expect(await q.job(job)).toMatchObject({ state: 'scheduled', attempt: 1 })
    await q.clock.advance('1s') // first backoff: 1s
    await q.runUntilIdle()
    expect(await q.job(job)).toMatchObject({ state: 'scheduled', attempt: 2 })
    await q.clock.advance('2s') // then 2s
    await q.runUntilIdle()
    expect(await job.result()).toEqual({ attempts: 3 })
  })
})
