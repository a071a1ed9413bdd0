// Type tests of tqjs/testing: its enqueue is the client's, so payloads are checked and results
// typed as JSON gives them back.
import { describe, expectTypeOf, test } from 'vitest'
import { task } from '../../src/index.js'
import type { JobJSON } from '../../src/index.js'
import type { TestQueue } from '../../src/testing/index.js'

const stamp = task('stamp', async (p: { n: number }) => ({ at: new Date(), n: p.n }))
declare const q: TestQueue

describe('TestQueue', () => {
  test('enqueue checks the payload and types result() after JSON', async () => {
    const job = await q.enqueue(stamp, { n: 1 })
    expectTypeOf((await job.result()).at).toEqualTypeOf<string>()
    // @ts-expect-error: n must be a number
    await q.enqueue(stamp, { n: '1' })
    const many = await q.enqueueMany(stamp, [{ n: 1 }, { n: 2 }])
    expectTypeOf((await many[0]!.result()).n).toEqualTypeOf<number>()
  })

  test('runs and reads back job JSON', async () => {
    expectTypeOf(await q.runUntilIdle()).toEqualTypeOf<number>()
    expectTypeOf(await q.runNext()).toEqualTypeOf<JobJSON | null>()
    expectTypeOf(await q.jobs({ state: 'failed' })).toEqualTypeOf<JobJSON[]>()
    expectTypeOf(q.clock.advance).parameters.toEqualTypeOf<[string | number]>()
  })
})
