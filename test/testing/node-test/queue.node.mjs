// tqjs/testing under node:test (`node --test`), with no vitest anywhere: run by ../node-test.test.ts.
// Plain JavaScript importing the built package by its own name, as a user's test would.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { schedule, task } from 'tqjs'
import { createTestQueue } from 'tqjs/testing'

const flaky = task('flaky', async (_p, ctx) => {
  if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`)
  return { at: new Date('2026-01-01T00:00:00Z'), attempt: ctx.attempt }
}, { retries: 2, backoff: { type: 'exponential', delay: '10s' } })
const ping = task('ping', async () => 'pong')
const everyFive = schedule({ every: '5m' }, ping, { name: 'everyFive' })

/** Each test its own queue, closed when the test ends (t.after): the tests below run concurrently. */
async function queueFor(t) {
  const q = await createTestQueue({ tasks: [flaky, ping, everyFive], now: '2026-01-01T00:00:00Z' })
  t.after(() => q.close())
  return q
}

describe('tqjs/testing with node:test', { concurrency: true }, () => {
  it('runs a delayed job after the clock moves', async (t) => {
    const q = await queueFor(t)
    const h = await q.enqueue(ping, null, { delay: '1d' })
    assert.equal(await q.runUntilIdle(), 0)
    await q.clock.advance('1d')
    await q.runUntilIdle()
    assert.equal(await h.result(), 'pong')
  })

  it('retries with backoff passed by the clock; a Date result comes back as a string', async (t) => {
    const q = await queueFor(t)
    const h = await q.enqueue(flaky, null)
    await q.runUntilIdle()
    await q.clock.advance('10s')
    await q.runUntilIdle()
    await q.clock.advance('20s')
    await q.runUntilIdle()
    assert.deepEqual(await h.result(), { at: '2026-01-01T00:00:00.000Z', attempt: 3 })
  })

  it('fires a schedule 12 times in an hour', async (t) => {
    const q = await queueFor(t)
    await q.clock.advance('1h')
    assert.equal(await q.runUntilIdle(), 12)
    assert.equal((await q.jobs({ task: 'ping', state: 'succeeded' })).length, 12)
  })
})
