import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import type { NewJob } from '../../src/broker/types.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('ckpt')

const job = (): NewJob => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 })

/**
 * The WAL index in the -shm file (SQLite's file format): mxFrame, the last committed frame, at
 * byte 16 of the header; nBackfill, how many frames were copied into the database, at byte 96.
 * Native byte order (little-endian here).
 */
function walIndex(): { mxFrame: number; nBackfill: number } {
  const shm = readFileSync(`${db.file}-shm`)
  return { mxFrame: shm.readUInt32LE(16), nBackfill: shm.readUInt32LE(96) }
}

async function until<T>(what: string, check: () => T | false, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

it('a busy connection hands checkpoints to a thread: the WAL is copied back and starts over, and no job is lost', async () => {
  // Just past the 256 commits after which the connection stops checkpointing by itself, and
  // short of the 1000 WAL frames at which SQLite would checkpoint on its own.
  for (let i = 0; i < 260; i++) await db.broker.enqueue([job()])
  const own = new Database(db.file, { readonly: true })
  // Another connection sees every frame copied into the database, though this one never
  // reached SQLite's own 1000-page checkpoint.
  const caughtUp = await until('the checkpoint thread to copy the WAL back', () => {
    const w = walIndex()
    return w.mxFrame > 0 && w.nBackfill === w.mxFrame && w
  })
  expect(caughtUp.mxFrame).toBeLessThan(1000)
  // The next commit finds the WAL fully copied and writes from its start again.
  await db.broker.enqueue([job()])
  expect(walIndex().mxFrame).toBeLessThan(caughtUp.mxFrame)
  expect((own.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(261)
  own.close()
})
