import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ProjectFixture } from './fixture.js'

// Isolation in the task thread pool: one job cannot stall its neighbours, run a thread out of
// memory for them, or hold a thread without anyone hearing of it.
const TASKS = `
import { existsSync } from 'node:fs'
import { threadId } from 'node:worker_threads'
import { task } from 'tqjs'
// CPU-bound until the test drops the stop file: the thread's event loop does not turn meanwhile.
export const spin = task('spin', async (p: { stop: string }) => {
  while (!existsSync(p.stop)) {}
  return { threadId }
})
export const quick = task('quick', async () => {
  await new Promise((resolve) => setTimeout(resolve, 5))
  return { threadId }
})
export const hog = task('hog', async () => {
  const keep: number[][] = []
  for (;;) keep.push(new Array(1_000_000).fill(1))
})
export const healthy = task('healthy', async () => {
  await new Promise((resolve) => setTimeout(resolve, 300))
  return 'fine'
})
export const heavy = task('heavy', async () => ({ threadId }), { ownThread: true })
`

describe('task thread isolation', () => {
  let fx: ProjectFixture
  afterEach(async () => fx?.close())

  it('quick jobs finish while a CPU-bound job holds its thread: they go to another thread', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const stop = join(fx.dir, 'stop')
    const client = await fx.client()
    const broker = await fx.broker()
    await fx.worker({ concurrency: 8, threads: 1 })
    const blocker = await client.enqueue('spin', { stop })
    const quick = await client.enqueueMany('quick', Array.from({ length: 50 }, () => null))
    // Every quick job is done while the spinning one still runs.
    await vi.waitFor(async () => expect((await broker.listJobs({ task: 'quick', state: 'succeeded', limit: 100 })).length).toBe(50), { timeout: 120_000, interval: 200 })
    expect((await broker.getJob(blocker.id))!.state).toBe('active')
    writeFileSync(stop, '')
    const spun = (await blocker.result({ timeout: '60s' })) as { threadId: number }
    const threads = new Set(await Promise.all(quick.map(async (h) => ((await h.result()) as { threadId: number }).threadId)))
    expect(threads.has(spun.threadId)).toBe(false)
  })

  it('a job that runs its thread out of memory fails naming the limit; the job beside it succeeds, its attempt not used', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS }, `{ broker: 'sqlite://.tq/tq.db', worker: { threadHeap: '64mb' } }`)
    const client = await fx.client()
    await fx.worker({ concurrency: 2, threads: 1 })
    const [hog, healthy] = await Promise.all([client.enqueue('hog', null), client.enqueue('healthy', null)])
    await expect(hog.result({ timeout: '120s' })).rejects.toThrow(/ran out of memory: a task thread's heap is limited to 64 MB \(raise worker.threadHeap/)
    expect(await healthy.result({ timeout: '120s' })).toBe('fine')
    expect((await healthy.get())!.attempt).toBe(1)
  })

  it('a task with ownThread runs each job in a thread of its own', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const client = await fx.client()
    await fx.worker({ concurrency: 4, threads: 1 })
    const shared = (await (await client.enqueue('quick', null)).result({ timeout: '60s' })) as { threadId: number }
    const own = await Promise.all([1, 2, 3].map(async () => ((await (await client.enqueue('heavy', null)).result({ timeout: '60s' })) as { threadId: number }).threadId))
    expect(new Set(own).size).toBe(3)
    expect(own).not.toContain(shared.threadId)
  })

  it('a job that blocks its thread for long with no timeout is reported by name', async () => {
    fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
    const stop = join(fx.dir, 'stop')
    const client = await fx.client()
    await fx.worker({ concurrency: 2, threads: 1 })
    const blocker = await client.enqueue('spin', { stop })
    await vi.waitFor(() => expect(fx.events.some((e) => e.type === 'blocked' && e.job.id === blocker.id)).toBe(true), { timeout: 120_000, interval: 200 })
    writeFileSync(stop, '')
    await blocker.result({ timeout: '60s' })
  })
})
