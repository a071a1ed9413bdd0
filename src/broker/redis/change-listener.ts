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
 *
 * The same connection also subscribes to this broker's own channel, where the scripts that end
 * a job publish it to the brokers waiting for it (see ./job-ends.ts): those messages wake no
 * change waiter.
 *
 * Changes that give no worker anything to claim go to the quiet channel `<events channel>:quiet`:
 * an enqueue whose jobs all went straight to parked workers ('handoff', enqueue.lua), a settle
 * whose jobs all ended ('ended', settle.lua). A broker with a parked worker does not subscribe to
 * it: that message came at the moment a handed job was on its way to the worker's task thread
 * (~0.07 ms of its enqueue-to-start), and after every settle of every worker.
 */
/** The same messages on the main channel (scripts of an older tq): they wake no worker either. */
const NOTHING_TO_CLAIM = new Set(['handoff', 'ended'])

export class ChangeListener {
  private sub: Redis | undefined
  private subscribed = false
  private readonly waiters = new Waiters()
  /** ready() calls waiting for the subscription. */
  private readonly subscribing = new Set<() => void>()
  private closed = false
  private isWorker = false
  /** Bumped on every change seen (or possibly missed); caches compare it to stay honest. */
  epoch = 0
  /** Bumped on every change that may give a worker something to claim (or possibly missed). */
  claimable = 0

  /**
   * `own`: a second channel, this broker's alone, subscribed on the same connection: messages on
   * it go to `own.onMessage`; `own.onLost` is told when the subscription drops (both channels'
   * messages may be lost until it is back).
   */
  private readonly quiet: string

  constructor(
    private readonly open: () => Redis,
    private readonly channel: string,
    private readonly own?: { channel: string; onMessage: (message: string) => void; onLost: () => void },
  ) {
    this.quiet = `${channel}:quiet`
  }

  /** True while the subscription is in place, so no change can go unseen. */
  get live(): boolean {
    return this.subscribed && this.sub?.status === 'ready'
  }

  /**
   * True once this broker has a worker (a claim parked it: scripts/handoff-lib.lua.ts): then the
   * changes that leave nothing for a claim to find (the quiet channel) wake nobody here, and it
   * stops listening to them. Other brokers (producers, the UI) wake on every change.
   */
  get worker(): boolean {
    return this.isWorker
  }

  set worker(yes: boolean) {
    const was = this.isWorker
    this.isWorker = yes
    if (yes && !was && this.subscribed) this.sub?.unsubscribe(this.quiet).catch(() => undefined)
  }

  /** Wakes the waiters now, as a change seen would (the next wait returns at once if none waits). */
  wake(): void {
    this.epoch++
    this.wakeAll()
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

  /**
   * Resolves true once the subscription is in place (at once if it is), false if it is not after
   * `timeoutMs` or the listener is closed. Connects on first use, as wait() does.
   */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.live) return Promise.resolve(true)
    if (this.closed) return Promise.resolve(false)
    if (!this.sub) this.start()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.subscribing.delete(done)
        resolve(this.live)
      }
      const timer = setTimeout(done, Math.max(0, timeoutMs))
      this.subscribing.add(done)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    this.wakeAll()
    for (const done of [...this.subscribing]) done()
    this.own?.onLost()
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
    const own = this.own
    sub.on('message', (channel: string, message: string) => {
      if (own && channel === own.channel) return own.onMessage(message)
      this.epoch++
      if (this.isWorker && (channel === this.quiet || NOTHING_TO_CLAIM.has(message))) return
      this.claimable++
      this.wakeAll()
    })
    sub.on('close', () => {
      if (this.subscribed) own?.onLost()
      this.subscribed = false
      this.epoch++
      this.claimable++
    })
    // Subscribe on every (re)connection ourselves, then wake: anything before it went unseen.
    sub.on('ready', () => {
      const channels = [this.channel, ...(this.isWorker ? [] : [this.quiet]), ...(own ? [own.channel] : [])]
      sub.subscribe(...channels).then(
        () => {
          if (this.sub !== sub) return
          this.subscribed = true
          this.epoch++
          this.claimable++
          this.wakeAll()
          for (const done of [...this.subscribing]) done()
        },
        () => undefined,
      )
    })
  }

  private wakeAll(): void {
    this.waiters.wakeAll()
  }
}
