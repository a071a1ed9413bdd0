import { afterEach, expect, it } from 'vitest'
import { chain, chord, task } from '../../src/index.js'
import { createTestQueue, type TestQueue } from '../../src/testing/index.js'

// Workflows under tqjs/testing: the same graph, run by runUntilIdle on the test's clock.
let q: TestQueue | undefined
afterEach(async () => {
  await q?.close()
  q = undefined
})

const count = task('count', async (p: { n: number }) => p.n)
const double = task('double', async (n: number) => n * 2, { queue: 'math' })
const total = task('total', async (ns: number[]) => ns.reduce((a, b) => a + b, 0))

it('runs a chain and a chord to their results, steps on other queues included', async () => {
  q = await createTestQueue({ tasks: [count, double, total] })
  const c = await q.enqueue(chain(count.s({ n: 3 }), double.s(), double.s()))
  const d = await q.enqueue(chord([count.s({ n: 1 }), count.s({ n: 2 })], total.s()))
  await q.runUntilIdle()
  expect(await c.result()).toBe(12)
  expect(await d.result()).toBe(3)
})

it("a step's delay counts from when it becomes ready, on the test clock", async () => {
  q = await createTestQueue({ tasks: [count, double], now: '2026-03-01T12:00:00.000Z' })
  const c = await q.enqueue(chain(count.s({ n: 5 }), double.s().set({ delay: '1h' })))
  await q.runUntilIdle()
  expect((await c.get())!.state).toBe('waiting')
  await q.clock.advance('1h')
  await q.runUntilIdle()
  expect(await c.result()).toBe(10)
})
