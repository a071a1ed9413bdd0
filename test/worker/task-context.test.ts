import { afterEach, expect, it } from 'vitest'
import { ProjectFixture } from './fixture.js'

// ctx.signal is one getter shared by every context (thread.ts: a getter per context gave each a
// hidden class of its own). A context must still look and behave as before: its keys, a spread
// copy, destructured members, and a signal that a cancel aborts.

const TASKS = `
import { task } from 'tqjs'
export const shape = task('shape', async (_p: unknown, ctx) => {
  const copy = { ...ctx }
  const { signal, progress } = ctx
  progress(0.25)
  return {
    keys: Object.keys(ctx).sort(),
    spreadSignal: copy.signal instanceof AbortSignal && copy.signal === ctx.signal,
    sameSignal: signal === ctx.signal,
    aborted: signal.aborted,
    json: Object.keys(JSON.parse(JSON.stringify(ctx))).sort(),
  }
})
export const waits = task('waits', async (_p: unknown, { signal }) => {
  await new Promise((resolve) => signal.addEventListener('abort', resolve))
})
`

let fx: ProjectFixture
afterEach(async () => fx?.close())

it('a task context keeps its own keys, spreads and destructures with its signal', async () => {
  fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
  const client = await fx.client()
  await fx.worker({ concurrency: 4 })
  const h = await client.enqueue('shape', null)
  expect(await h.result({ timeout: '10s' })).toEqual({
    keys: ['attempt', 'enqueue', 'id', 'log', 'progress', 'signal'],
    spreadSignal: true,
    sameSignal: true,
    aborted: false,
    json: ['attempt', 'id', 'signal'],
  })
  expect((await h.get())?.progress).toBe(0.25)
})

it('a cancel aborts a destructured signal', async () => {
  fx = new ProjectFixture({ 'tasks/t.ts': TASKS })
  const client = await fx.client()
  const broker = await fx.broker()
  await fx.worker()
  const h = await client.enqueue('waits', null)
  await fx.until(broker, h.id, ['active'])
  await h.cancel()
  expect((await fx.until(broker, h.id, ['cancelled', 'failed', 'succeeded'])).state).toBe('cancelled')
})
