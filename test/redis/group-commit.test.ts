/**
 * Group commit on Redis: a process of 50 concurrent producers shares script calls; killed with
 * kill -9 mid-stream, every id an enqueue returned is in Redis (a caller's promise resolves only
 * once the script call holding its job has run). A real producer process and a real Redis.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, expect, it, vi } from 'vitest'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import { readLines, REPO_ROOT } from '../helpers/tq.js'
import { deletePrefix, uniquePrefix, urlWith } from './helpers.js'

const prefix = uniquePrefix()
const dir = mkdtempSync(join(tmpdir(), 'tq-redis-group-'))
afterEach(async () => {
  await deletePrefix(prefix)
  rmSync(dir, { recursive: true, force: true })
})

it('an enqueue that returned is in Redis after kill -9 of a process with 50 concurrent producers', async () => {
  const url = urlWith({ prefix })
  const script = join(dir, 'produce.mjs')
  const ids = join(dir, 'ids.txt')
  writeFileSync(
    script,
    `import { appendFileSync } from 'node:fs'
import { connect } from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href)}
const tq = await connect({ broker: ${JSON.stringify(url)} })
// Producers, each enqueueing as fast as it can; an id is written only once enqueue returned.
await Promise.all(Array.from({ length: 50 }, async (_, p) => {
  for (let n = 0; ; n++) {
    const job = await tq.enqueue('t', { p, n })
    appendFileSync(${JSON.stringify(ids)}, job.id + '\\n')
  }
}))
`,
  )
  const child = spawn(process.execPath, [script], { stdio: 'ignore' })
  await vi.waitFor(() => expect(readLines(ids).length).toBeGreaterThan(2000), { timeout: 120_000, interval: 50 })
  child.kill('SIGKILL')
  await new Promise((resolve) => child.once('exit', resolve))
  const returned = readLines(ids)
  const broker = await RedisBroker.connect(url)
  try {
    const stored = new Set((await broker.listJobs({ state: 'queued', limit: 1_000_000 })).map((j) => j.id))
    expect(returned.filter((id) => !stored.has(id))).toEqual([])
  } finally {
    await broker.close()
  }
})
