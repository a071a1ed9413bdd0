import type { Redis } from 'ioredis'
import type { TqEvent } from '../event-types.js'

/**
 * Live events on Redis: one PUBLISH per batch on `<prefix>live-events` (a channel of its own, so
 * subscribers to job wake-ups never see them), one subscriber connection per subscription. With
 * nobody subscribed, Redis drops the message at once: a publish costs one command per batch.
 */
export class RedisEventChannel {
  private readonly subs = new Set<Redis>()

  constructor(
    private readonly redis: Redis,
    private readonly open: () => Redis,
    private readonly channel: string,
  ) {}

  /** PUBLISH says how many subscribers got the message: none means nobody listens. */
  async publish(events: readonly TqEvent[]): Promise<boolean> {
    if (this.redis.status !== 'ready') return true
    try {
      return (await this.redis.publish(this.channel, JSON.stringify(events))) > 0
    } catch {
      return true // best effort: unknown, so keep sending
    }
  }

  async subscribe(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    const sub = this.open()
    this.subs.add(sub)
    const stop = () => {
      this.subs.delete(sub)
      sub.disconnect()
    }
    sub.on('error', () => undefined) // reconnects by itself (ioredis resubscribes)
    sub.on('message', (_channel: string, text: string) => {
      if (signal.aborted) return // disconnect() is not instant: nothing is delivered once aborted
      try {
        onEvents(JSON.parse(text) as TqEvent[])
      } catch {
        /* not ours */
      }
    })
    try {
      await sub.subscribe(this.channel)
    } catch (err) {
      stop()
      throw err
    }
    if (signal.aborted) return stop()
    signal.addEventListener('abort', stop, { once: true })
  }

  close(): void {
    for (const sub of this.subs) sub.disconnect()
    this.subs.clear()
  }
}
