import type Database from 'better-sqlite3'
import { Worker } from 'node:worker_threads'
import { distFile } from '../../paths.js'
import type { CheckpointThreadData } from './checkpoint-thread.js'

/** Commits on one connection before it hands checkpoints to a thread: one-shot commands never do. */
const START_AFTER_COMMITS = 256
/** SQLite's own default, restored if the thread fails. */
const AUTO_CHECKPOINT_PAGES = 1000

/**
 * Background checkpoints for a busy connection. By default the connection that commits past
 * 1000 WAL pages copies them into the database file itself, with two fsyncs, inside that commit:
 * every few hundred enqueues one of them takes milliseconds, and they add up to a fifth of the
 * time of a stream of single enqueues. Once a connection has committed a few hundred times, a
 * thread with its own connection does that copy every second instead, and the connection
 * stops checkpointing by itself.
 *
 * Durability is unchanged: a commit is in the WAL when it returns, whoever copies it later.
 * Other processes on the file keep their own automatic checkpoints.
 */
export class Checkpointer {
  private commits = 0
  private thread: Worker | undefined
  private failed = false

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    // Measured: every 100 ms costs the enqueuing thread more than it saves (the two compete for
    // the cores and the WAL locks); every second is 20-30% faster than SQLite's own checkpoints.
    private readonly everyMs = 1000,
    private readonly restartBytes = 64 * 1024 * 1024,
  ) {}

  /** Called after each write transaction of the connection. */
  committed(): void {
    if (this.thread || this.failed || ++this.commits < START_AFTER_COMMITS) return
    const data: CheckpointThreadData = { file: this.file, everyMs: this.everyMs, restartBytes: this.restartBytes }
    const thread = new Worker(distFile('broker/sqlite/checkpoint-thread.js'), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    })
    // It must not keep a process alive that has nothing else to do.
    thread.unref()
    thread.on('error', () => this.fallBack())
    thread.on('exit', () => this.fallBack())
    this.thread = thread
    this.db.pragma('wal_autocheckpoint = 0')
  }

  /** Ends the thread after its current checkpoint; the connection may then be closed. */
  async stop(): Promise<void> {
    const thread = this.thread
    if (!thread) return
    this.thread = undefined
    this.failed = true // no restart while closing
    thread.removeAllListeners('exit')
    await new Promise<void>((resolve) => {
      thread.once('exit', () => resolve())
      thread.once('message', () => void thread.terminate())
      thread.postMessage('stop')
    })
  }

  /** The thread is gone (it failed to start, or crashed): the connection checkpoints itself again. */
  private fallBack(): void {
    if (this.failed) return
    this.failed = true
    this.thread = undefined
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`)
  }
}
