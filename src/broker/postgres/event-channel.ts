import pg from 'pg'
import type { TqEvent } from '../event-types.js'
import { clientConfig, type Db } from './connection.js'
import type { PostgresUrlConfig } from './url.js'

/** NOTIFY's payload limit is 8000 bytes: events go in pieces below it. */
const PIECE_BYTES = 7800

/**
 * Live events on Postgres: NOTIFY on a channel of their own (`tq_<schema>_events`, so job
 * wake-ups never carry them), one LISTEN connection per subscription. A subscriber's connection
 * is named (application_name `tq-events:<schema>`), so a publisher knows from pg_stat_activity,
 * in the same statement that would send, whether anyone listens: with nobody subscribed a publish
 * is one read of the server's session table and sends nothing.
 */
export class PgEventChannel {
  private readonly subs = new Set<pg.Client>()
  readonly channel: string
  readonly listenerName: string

  constructor(
    private readonly cfg: PostgresUrlConfig,
    private readonly exec: <T>(what: string, fn: (db: Db) => Promise<T>) => Promise<T>,
    private readonly sql: string,
  ) {
    this.channel = `tq_${cfg.schema}_events`
    this.listenerName = `tq-events:${cfg.schema}`
  }

  async publish(events: readonly TqEvent[]): Promise<boolean> {
    try {
      const pieces = split(events)
      const { rows } = await this.exec('publish events', (db) => db.query<{ listening: boolean }>(this.sql, [this.channel, pieces, this.listenerName]))
      return rows[0]!.listening
    } catch {
      return true // best effort: unknown, so keep sending
    }
  }

  async subscribe(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    const client = new pg.Client({ ...clientConfig(this.cfg), query_timeout: undefined, statement_timeout: undefined, application_name: this.listenerName })
    this.subs.add(client)
    const stop = () => {
      this.subs.delete(client)
      client.end().catch(() => undefined)
    }
    client.on('error', () => undefined) // best effort: a dropped subscription ends; `tq events` reports the broker's state
    client.on('notification', (n) => {
      if (signal.aborted || n.channel !== this.channel) return
      try {
        onEvents(JSON.parse(n.payload ?? '[]') as TqEvent[])
      } catch {
        /* not ours */
      }
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
    } catch (err) {
      stop()
      throw err
    }
    if (signal.aborted) return stop()
    signal.addEventListener('abort', stop, { once: true })
  }

  close(): void {
    for (const c of this.subs) c.end().catch(() => undefined)
    this.subs.clear()
  }
}

/** JSON arrays of events, each under NOTIFY's limit (an event bigger than that alone goes alone). */
function split(events: readonly TqEvent[]): string[] {
  const out: string[] = []
  let part: string[] = []
  let bytes = 2
  for (const e of events) {
    const text = JSON.stringify(e)
    const size = Buffer.byteLength(text) + 1
    if (part.length > 0 && bytes + size > PIECE_BYTES) {
      out.push(`[${part.join(',')}]`)
      part = []
      bytes = 2
    }
    if (size + 2 > PIECE_BYTES) continue // cannot be sent as a notification: dropped (best effort)
    part.push(text)
    bytes += size
  }
  if (part.length > 0) out.push(`[${part.join(',')}]`)
  return out
}
