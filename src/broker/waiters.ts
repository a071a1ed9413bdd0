/**
 * The waiting half of `Broker.waitForChange`, shared by the brokers: a set of sleepers woken
 * together by a change, each also ended by its timeout or its abort signal. A change arriving
 * while nobody waits is remembered, so the next wait returns at once instead of missing it.
 */
export class Waiters {
  private readonly sleepers = new Set<() => void>()
  private missed = false

  get size(): number {
    return this.sleepers.size
  }

  /** Sleeps until wakeAll(), the timeout or the signal. */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || this.consumeMissed()) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        this.sleepers.delete(done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, timeoutMs))
      signal?.addEventListener('abort', done, { once: true })
      this.sleepers.add(done)
    })
  }

  wakeAll(): void {
    if (this.sleepers.size === 0) this.missed = true
    for (const wake of [...this.sleepers]) wake()
  }

  /** True once after a change nobody was waiting for. */
  consumeMissed(): boolean {
    const was = this.missed
    this.missed = false
    return was
  }
}
