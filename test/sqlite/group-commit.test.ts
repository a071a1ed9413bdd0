import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it, vi } from 'vitest'
import { Client } from '../../src/app/client.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { NewJob } from '../../src/broker/types.js'
import { readLines, REPO_ROOT } from '../helpers/tq.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('group-commit')

describe('group commit for producers', () => {
  it('50 concurrent enqueues from one process share a few writes; each caller gets its own jobs back', async () => {
    const writes: number[] = []
    const real = db.broker
    // The real broker, with its enqueue calls counted.
    const counted = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'enqueue') return (jobs: readonly NewJob[]) => (writes.push(jobs.length), target.enqueue(jobs))
        return Reflect.get(target, prop, receiver)
      },
    })
    const client = new Client(counted)
    const handles = await Promise.all(Array.from({ length: 50 }, (_, i) => client.enqueue('t', { i }, { key: i % 10 === 0 ? 'same' : undefined })))
    expect(writes.reduce((a, b) => a + b, 0)).toBe(50)
    expect(writes.length).toBeLessThan(10)
    const jobs = await Promise.all(handles.map((h) => h.get()))
    // Each caller's handle is its own job (or, for the shared unique key, the first one's).
    handles.forEach((h, i) => {
      if (i % 10 !== 0) expect(jobs[i]!.payload).toEqual({ i })
    })
    expect(handles.filter((h, i) => i % 10 === 0).map((h) => h.created)).toEqual([true, false, false, false, false])
    expect(new Set(handles.filter((_, i) => i % 10 === 0).map((h) => h.id)).size).toBe(1)
  })

  /** Kills a process of `producers` concurrent producers mid-stream; every id an enqueue returned must be stored. */
  async function killedWhileEnqueueing(producers: number): Promise<void> {
    const script = join(db.dir, 'produce.mjs')
    const ids = join(db.dir, 'ids.txt')
    writeFileSync(
      script,
      `import { appendFileSync } from 'node:fs'
import { connect } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)}
const tq = await connect({ broker: ${JSON.stringify('sqlite://' + db.file)} })
// Producers, each enqueueing as fast as it can; an id is written only once enqueue returned.
await Promise.all(Array.from({ length: ${producers} }, async (_, p) => {
  for (let n = 0; ; n++) {
    const job = await tq.enqueue('t', { p, n })
    appendFileSync(${JSON.stringify(ids)}, job.id + '\\n')
  }
}))
`,
    )
    await db.broker.close()
    const child = spawn(process.execPath, [script], { stdio: 'ignore' })
    await vi.waitFor(() => expect(readLines(ids).length).toBeGreaterThan(2000), { timeout: 120_000, interval: 50 })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    const returned = readLines(ids)
    db.broker = new SqliteBroker(db.file)
    const stored = new Set((await db.broker.listJobs({ state: 'queued', limit: 1_000_000 })).map((j) => j.id))
    expect(returned.filter((id) => !stored.has(id))).toEqual([])
  }

  it('an enqueue that returned survives kill -9 of a process with 50 concurrent producers', () => killedWhileEnqueueing(50))

  // A lone caller's job is one autocommit INSERT (no BEGIN/COMMIT): it too is durable once enqueue returns.
  it('an enqueue that returned survives kill -9 of a process with one producer', () => killedWhileEnqueueing(1))
})
