/**
 * Several processes starting on the same new database at once (workers launched together before
 * anything was enqueued): each creates or finds the folder and the file, and the schema is made once.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import { runNodeScript } from '../helpers/sqlite.js'
import { REPO_ROOT } from '../helpers/tq.js'

const dir = mkdtempSync(join(tmpdir(), 'tq-concurrent-open-'))
afterEach(() => rmSync(dir, { recursive: true, force: true }))

it('six processes opening a database that does not exist yet, in a folder that does not either, all open it', async () => {
  const file = join(dir, 'nested', '.tq', 'tq.db')
  const script = join(dir, 'open.mjs')
  const src = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'broker', 'sqlite', 'sqlite-broker.js')).href
  writeFileSync(
    script,
    `import { SqliteBroker } from ${JSON.stringify(src)}
const b = new SqliteBroker(${JSON.stringify(file)})
await b.enqueue([{ task: 't', queue: 'q', payload: '1', priority: 0, runAt: Date.now(), maxAttempts: 1 }])
await b.close()
`,
  )
  const runs = await Promise.all(Array.from({ length: 6 }, () => runNodeScript(script)))
  for (const r of runs) expect(r).toEqual({ code: 0, stderr: '' })
  expect(statSync(join(dir, 'nested', '.tq')).mode & 0o777).toBe(0o700)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  const broker = new SqliteBroker(file)
  try {
    expect((await broker.counts()).find((c) => c.queue === 'q')!.counts.queued).toBe(6)
  } finally {
    await broker.close()
  }
})
