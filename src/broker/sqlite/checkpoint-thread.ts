/**
 * The checkpointer's thread (see ./checkpointer.ts). Its own connection copies committed WAL
 * frames back into the database file, and pays for the fsyncs that copy needs, off the thread
 * that enqueues and claims. Plain data in and out; it never changes a row.
 */
import Database from 'better-sqlite3'
import { statSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

export interface CheckpointThreadData {
  file: string
  everyMs: number
  /** WAL size past which a RESTART checkpoint makes the next writer start the WAL from its beginning. */
  restartBytes: number
}

const { file, everyMs, restartBytes } = workerData as CheckpointThreadData
const db = new Database(file)
// A RESTART checkpoint holds off new writers while it waits for readers: wait briefly, and if
// the file stays busy, leave it to the next tick rather than stall the enqueues.
db.pragma('busy_timeout = 200')
const walFile = `${file}-wal`

function walSize(): number {
  try {
    return statSync(walFile).size
  } catch {
    return 0
  }
}

const timer = setInterval(() => {
  try {
    // PASSIVE never waits for or blocks writers. Under a steady stream of commits it never
    // catches the last frame, so the WAL would only grow: past a size, RESTART waits for the
    // writers in progress (briefly holding off new ones) so that the WAL starts over.
    db.pragma(walSize() > restartBytes ? 'wal_checkpoint(RESTART)' : 'wal_checkpoint(PASSIVE)')
  } catch {
    /* busy or locked: the next tick tries again */
  }
}, everyMs)

parentPort!.on('message', (msg: 'stop') => {
  if (msg !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort!.postMessage('stopped')
})
