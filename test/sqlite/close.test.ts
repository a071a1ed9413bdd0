import { expect, it } from 'vitest'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('close')

it('closing wakes waiters; a wait after close returns at once and never touches the closed file', async () => {
  const waiting = db.broker.waitForChange(60_000)
  await db.broker.close()
  await waiting
  // Far longer than the test's timeout: this wait must return because the broker is closed.
  await db.broker.waitForChange(3_600_000)
  // Had that wait started the 50 ms fallback poll, it would read the closed connection and throw
  // from a timer (an uncaught error fails the run): give such a timer three chances to fire.
  await new Promise((r) => setTimeout(r, 150))
})
