import { randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import type { TqEvent } from '../event-types.js'
import { ChangeNotifier } from './change-notifier.js'

/** Batches kept in the events table: enough for a slow reader to catch up, small enough to stay cheap. */
const KEEP_BATCHES = 1000
/** A subscription renews its listener row this often, and a row lapses after LISTENER_TTL_MS. */
const RENEW_MS = 3000
const LISTENER_TTL_MS = 10_000

/**
 * Live events on SQLite: publishers append one row per batch to a capped table, but only while a
 * listener row is current, so with nobody listening a publish is one indexed read and writes
 * nothing (no WAL write, so other processes' change notifiers are not woken). Subscribers read the
 * rows after the last one they saw whenever the change notifier wakes them: inotify on the WAL
 * for other processes, the in-process fan-out for this one.
 */
export class SqliteEventLog {
  private readonly listening: Database.Statement
  private readonly append: Database.Statement
  private readonly trim: Database.Statement
  private readonly since: Database.Statement
  private readonly last: Database.Statement
  private readonly upsertListener: Database.Statement
  private readonly removeListener: Database.Statement

  constructor(
    private readonly db: Database.Database,
    private readonly file: string | null,
    private readonly now: () => number,
    /** Wakes this process's other waiters on the same file after a write. */
    private readonly notifyLocal: () => void,
  ) {
    this.listening = db.prepare('SELECT 1 FROM event_listeners WHERE until > ? LIMIT 1').pluck()
    this.append = db.prepare('INSERT INTO events (body) VALUES (?)')
    this.trim = db.prepare('DELETE FROM events WHERE id <= ?')
    this.since = db.prepare('SELECT id, body FROM events WHERE id > ? ORDER BY id')
    this.last = db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck()
    this.upsertListener = db.prepare('INSERT INTO event_listeners (id, until) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET until = excluded.until')
    this.removeListener = db.prepare('DELETE FROM event_listeners WHERE id = ? OR until < ?')
  }

  publish(events: readonly TqEvent[]): boolean {
    try {
      if (!this.listening.get(this.now())) return false
      if (events.length === 0) return true
      const id = Number(this.append.run(JSON.stringify(events)).lastInsertRowid)
      if (id > KEEP_BATCHES) this.trim.run(id - KEEP_BATCHES)
      this.notifyLocal()
      return true
    } catch {
      return true // best effort: a busy or read-only database drops the batch
    }
  }

  async subscribe(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    const me = randomBytes(8).toString('hex')
    this.upsertListener.run(me, this.now() + LISTENER_TTL_MS)
    let seen = Number(this.last.get())
    // A notifier of its own: it must not share "what changed since I last looked" with the
    // broker's job waiters, or one would consume the other's wake-up.
    const dataVersion = this.db.prepare('PRAGMA data_version').pluck()
    let version = Number(dataVersion.get())
    const notifier = new ChangeNotifier(this.file, () => {
      const v = Number(dataVersion.get())
      const changed = v !== version
      version = v
      return changed
    })
    const renew = setInterval(() => {
      try {
        this.upsertListener.run(me, this.now() + LISTENER_TTL_MS)
      } catch {
        /* try again next time */
      }
    }, RENEW_MS)
    const stop = () => {
      clearInterval(renew)
      notifier.close()
      try {
        if (this.db.open) this.removeListener.run(me, this.now())
      } catch {
        /* the row lapses by itself */
      }
    }
    if (signal.aborted) return stop()
    signal.addEventListener('abort', stop, { once: true })
    void (async () => {
      while (!signal.aborted && this.db.open) {
        try {
          for (const row of this.since.all(seen) as { id: number; body: string }[]) {
            seen = row.id
            if (signal.aborted) break
            onEvents(JSON.parse(row.body) as TqEvent[])
          }
        } catch {
          /* read again on the next wake-up */
        }
        // The timeout is a safety net only: writes wake the notifier.
        await notifier.wait(RENEW_MS, signal)
      }
    })()
  }
}
