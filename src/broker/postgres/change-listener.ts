import pg from 'pg'
import { Waiters } from '../waiters.js'
import { clientConfig } from './connection.js'
import type { PostgresUrlConfig } from './url.js'

/**
 * Wakes waiters when jobs may have changed, without polling: every write that makes work
 * available or ends a job calls pg_notify on the broker's channel in its own transaction (so the
 * notification is sent at commit, never before), and one dedicated connection per broker LISTENs.
 * An idle worker therefore sends nothing while it waits.
 *
 * The connection opens on the first wait (producers that never wait never open it) and is one
 * more than the pool's. When it drops (a restart) it reconnects by itself, backing off up to a
 * second; once listening again it wakes every waiter, since changes in between went unseen.
 */
export class ChangeListener {
  private client: pg.Client | undefined
  private readonly waiters = new Waiters()
  private closed = false
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  /** LISTEN is in place: every notification from now on reaches this broker. */
  listening = false

  /**
   * `handed`: a notification carrying a job handed to a worker (./hand-off.ts, payload `h` U+001F
   * ...), true when that worker claims through this broker; the others wake nobody (the job needs
   * no claim, and has not ended). `reconnected`: LISTEN is back after a drop.
   */
  constructor(
    private readonly cfg: PostgresUrlConfig,
    private readonly channel: string,
    private readonly handed: (payload: string) => boolean = () => false,
    private readonly reconnected: () => void = () => undefined,
  ) {}

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (!this.client && !this.retryTimer) this.start()
    return this.waiters.wait(timeoutMs, signal)
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.waiters.wakeAll()
    const client = this.client
    this.client = undefined
    this.listening = false
    if (client) await client.end().catch(() => undefined)
  }

  private start(): void {
    const client = new pg.Client({ ...clientConfig(this.cfg), query_timeout: undefined, statement_timeout: undefined, application_name: `${this.cfg.applicationName}-listen` })
    this.client = client
    let dropped = false
    const drop = () => {
      if (dropped) return
      dropped = true
      if (this.client === client) {
        this.client = undefined
        this.listening = false
      }
      client.end().catch(() => undefined)
      if (this.closed) return
      // Reconnect in the background, soon at first, then at most once a second.
      const wait = Math.min(1000, 50 * 2 ** this.failures++)
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined
        if (!this.closed) this.start()
      }, wait)
      if (this.cfg.background) this.retryTimer.unref()
    }
    client.on('error', drop)
    client.on('end', drop)
    client.on('notification', (n) => {
      const p = n.payload
      if (p && p.charCodeAt(0) === 104 && p.charCodeAt(1) === 31 && !this.handed(p)) return
      this.waiters.wakeAll()
    })
    client
      .connect()
      .then(() => {
        if (this.cfg.background) (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.()
        return client.query(`LISTEN ${this.channel}`)
      })
      .then(
        () => {
          if (this.client !== client) return
          this.failures = 0
          this.listening = true
          this.reconnected()
          // Anything before the LISTEN went unseen: let every waiter look again.
          this.waiters.wakeAll()
        },
        drop,
      )
  }
}
