import { schedule, task } from 'tqjs'
import { sendWelcome } from '../contracts/email.js'

/** Sends a welcome email (pretend). Enqueue: tq enqueue email.welcome '{"to":"a@b.c"}' */
export const sendWelcomeTask = sendWelcome.implement(async (payload, ctx) => {
  ctx.log(`sending welcome email to ${payload.to}`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  return { sent: true, to: payload.to }
})

/**
 * Adds numbers, reporting progress. Enqueue: tq enqueue math.sum '{"numbers":[1,2,3]}' --wait
 * The short form: contract and handler in one, the types taken from the handler.
 */
export const sum = task('math.sum', async (payload: { numbers: number[] }, ctx) => {
  let total = 0
  for (const [i, n] of payload.numbers.entries()) {
    total += n
    ctx.progress((i + 1) / payload.numbers.length)
  }
  return { total }
})

/** Beat enqueues math.sum every 30 seconds while `tq dev` (or `tq beat`) runs. */
export const everyHalfMinute = schedule({ every: '30s' }, sum, { payload: { numbers: [1, 2, 3] } })
