import { schedule, task } from 'tqjs'

/** Greets someone, slowly enough to see it run. */
export const greet = task('hello.greet', async (p: { name: string }, ctx) => {
  ctx.log(`hello, ${p.name}!`)
  for (let i = 1; i <= 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    ctx.progress(i / 4)
  }
  return { greeted: p.name, at: new Date().toISOString() }
})

/** Fails now and then, to show retries with backoff. */
export const flaky = task(
  'hello.flaky',
  async (_p: null, ctx) => {
    if (Math.random() < 0.5) throw new Error(`unlucky on attempt ${ctx.attempt}`)
    return { ok: true, attempt: ctx.attempt }
  },
  { retries: 3, backoff: { type: 'exponential', delay: '500ms' } },
)

export const greetEveryFewSeconds = schedule({ every: '3s' }, greet, { payload: { name: 'beat' } })
export const flakyEveryFiveSeconds = schedule({ every: '5s' }, flaky, { payload: null })
