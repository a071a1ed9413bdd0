/**
 * Live updates for every open page from one loop per server: it waits on the broker's change
 * notifications (waitForChange: SQLite's WAL watch, Redis pub/sub), reads the overview once and
 * sends it to every page as a server-sent event. So ten open pages cost the broker what one
 * does, and a burst of changes is read once per MIN_GAP_MS, not once per job. Pages showing
 * something else (a job, a listing) take each event as the signal to read their own data again.
 *
 * The loop runs only while a page is open. When the broker fails, pages get a `broker` event
 * with the error (they show a banner) and the loop keeps trying; the next good read clears it.
 */
import type { ServerResponse } from 'node:http'
import type { BrokerConnection } from '../broker/types.js'
import { BASE_HEADERS } from './http.js'
import type { Overview } from './overview.js'

/** Least time between two updates: changes inside it are coalesced into one. */
const MIN_GAP_MS = 150
/** With no change, an update still goes out this often (times, heartbeats, the chart move on). */
const IDLE_MS = 2000
/** After a broker error, wait this long before trying again. */
const RETRY_MS = 1000

export class LiveFeed {
  private readonly clients = new Set<ServerResponse>()
  private running: Promise<void> | null = null
  private stop = new AbortController()
  private closed = false
  private last: string | null = null

  constructor(
    private readonly broker: BrokerConnection,
    private readonly read: () => Promise<Overview>,
  ) {}

  /** Turns a request into an event stream and keeps it until the page goes. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
    // Reconnect quickly after a restart of the server.
    res.write('retry: 1000\n\n')
    if (this.last) res.write(this.last)
    this.clients.add(res)
    res.on('close', () => this.clients.delete(res))
    if (!this.running) this.running = this.loop().finally(() => (this.running = null))
  }

  private send(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    if (event === 'overview') this.last = frame
    for (const c of this.clients) c.write(frame)
  }

  private async loop(): Promise<void> {
    let failing = false
    while (!this.closed && this.clients.size > 0) {
      const started = Date.now()
      try {
        const overview = await this.read()
        if (failing) this.send('broker', { ok: true })
        failing = false
        this.send('overview', overview)
      } catch (err) {
        failing = true
        this.send('broker', { ok: false, error: (err as Error).message.split('\n')[0] })
        await pause(RETRY_MS, this.stop.signal)
        continue
      }
      try {
        await this.broker.waitForChange(IDLE_MS, this.stop.signal)
      } catch {
        // A broker that cannot even wait: the next read reports it.
      }
      await pause(MIN_GAP_MS - (Date.now() - started), this.stop.signal)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.stop.abort()
    for (const c of this.clients) c.end()
    this.clients.clear()
    await this.running
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
