import { afterEach, describe, expect, it } from 'vitest'
import { ProjectFixture } from './fixture.js'

// Children enqueued by a task go through the same pipeline as any enqueue: the child's schema,
// its unique key and its defaults (queue, retries) apply, because the job is built in the task
// thread where the child's definition lives.
const TASKS = `
import { task, defineTask } from 'tqjs'
const positive = { parse(v: unknown) { const n = (v as { n?: unknown })?.n; if (typeof n !== 'number' || n <= 0) throw new Error('n must be a positive number'); return v as { n: number } } }
export const child = task('child', async (p: { n: number }) => p.n * 2, {
  schema: positive, queue: 'kids', retries: 2, unique: (p) => String(p.n),
})
export const parentBad = task('parent.bad', async (_p: unknown, ctx) => {
  await ctx.enqueue(child, { n: -1 })
})
export const parentTwice = task('parent.twice', async (_p: unknown, ctx) => {
  const a = await ctx.enqueue(child, { n: 7 })
  const b = await ctx.enqueue('child', { n: 7 })
  return { a: a.id, b: b.id }
})
`

describe('ctx.enqueue uses the one enqueue pipeline', () => {
  let fx: ProjectFixture
  afterEach(async () => fx?.close())

  it("refuses a child whose payload the child's schema rejects", async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker({ concurrency: 2, queues: ['default', 'kids'] })
    const parent = await client.enqueue('parent.bad', null)
    await expect(parent.result({ timeout: '20s' })).rejects.toThrow(/payload for child is invalid: n must be a positive number/)
    expect(await (await fx.broker()).children(parent.id)).toEqual([])
  })

  it("applies the child's unique key and defaults, by contract and by name alike", async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    // No worker takes `kids`: the child stays queued, so its unique key stays held.
    await fx.worker({ concurrency: 2, queues: ['default'] })
    const parent = await client.enqueue('parent.twice', null)
    const { a, b } = (await parent.result({ timeout: '20s' })) as { a: string; b: string }
    expect(b).toBe(a)
    const kid = await (await fx.broker()).getJob(a)
    expect(kid).toMatchObject({ task: 'child', queue: 'kids', maxAttempts: 3, parentId: parent.id, state: 'queued' })
  })
})
