import type { Redis } from 'ioredis'
import { Waiters } from '../waiters.js'

/**
 * Wakes waiters when jobs may have changed, without polling: every script that makes work
 * available or finishes it (enqueue, settle, cancel, retry, resume, recover, progress)
 * PUBLISHes to the broker's events channel, and one dedicated subscriber connection per broker
 * listens. An idle worker therefore costs Redis nothing while it waits.
 *
 * The subscriber connects on the first wait (producers that never wait never open it). That
 * first wait, and the first one after any reconnection, returns as soon as the subscription is
 * in place: changes made before it could not be seen, so the caller should look again.
 */
export class ChangeListener {
  private sub: Redis | undefined
  private subscribed = false
  private readonly waiters = new Waiters()
  private closed = false
  /** Bumped on every change seen (or possibly missed); caches compare it to stay honest. */
  epoch = 0

  constructor(
    private readonly open: () => Redis,
    private readonly channel: string,
  ) {}

  /** True while the subscription is in place, so no change can go unseen. */
  get live(): boolean {
    return this.subscribed && this.sub?.status === 'ready'
  }

  /** A change this process made: it will also come back through the channel. */
  touched(): void {
    this.epoch++
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (!this.sub) this.start()
    return this.waiters.wait(timeoutMs, signal)
  }

  async close(): Promise<void> {
    this.closed = true
    this.wakeAll()
    const sub = this.sub
    this.sub = undefined
    this.subscribed = false
    if (sub) {
      sub.removeAllListeners('ready')
      sub.disconnect()
    }
  }

  private start(): void {
    const sub = this.open()
    this.sub = sub
    sub.on('error', () => undefined) // reconnects on its own; waits fall back to their timeouts
    sub.on('message', () => {
      this.epoch++
      this.wakeAll()
    })
    sub.on('close', () => {
      this.subscribed = false
      this.epoch++
    })
    // Subscribe on every (re)connection ourselves, then wake: anything before it went unseen.
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          if (this.sub !== sub) return
          this.subscribed = true
          this.epoch++
          this.wakeAll()
        },
        () => undefined,
      )
    })
  }

  private wakeAll(): void {
    this.waiters.wakeAll()
  }
}
