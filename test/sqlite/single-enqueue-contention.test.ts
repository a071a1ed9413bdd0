import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../helpers/tq.js'
import { freshSqliteBroker, runNodeScript } from '../helpers/sqlite.js'

const db = freshSqliteBroker('single-contention')
const job = () => ({ task: 'bulk', queue: 'default', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 })

describe('single enqueues under write contention', () => {
  // A lone caller's job is one autocommit INSERT: while another connection holds the write lock it
  // must wait for it (the busy timeout), as BEGIN IMMEDIATE does, never fail with "database is locked".
  it('three processes enqueueing one job at a time while this one writes big batches: every enqueue lands', async () => {
    const script = join(db.dir, 'produce.mjs')
    writeFileSync(
      script,
      `import { connect } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)}
const tq = await connect({ broker: ${JSON.stringify('sqlite://' + db.file)} })
for (let n = 0; n < 300; n++) await tq.enqueue('single', { n })
await tq.close()
`,
    )
    const producers = Array.from({ length: 3 }, () => runNodeScript(script))
    let running = true
    const done = Promise.all(producers).finally(() => (running = false))
    // Transactions of 5,000 jobs hold the write lock for milliseconds at a time while the producers run.
    let batches = 0
    while (running) {
      await db.broker.enqueue(Array.from({ length: 5000 }, job))
      batches++
      await new Promise((r) => setImmediate(r))
    }
    for (const p of await done) expect(p).toEqual({ code: 0, stderr: '' })
    expect(batches).toBeGreaterThan(0)
    const counts = await db.broker.counts()
    expect(counts.find((q) => q.queue === 'default')!.counts.queued).toBe(3 * 300 + batches * 5000)
  })
})
