import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { Waiters } from '../waiters.js'

/**
 * Wakes waiters when the database may have changed, without hot polling:
 * - writes from this process wake every broker on the same file at once (in-process fan-out);
 * - writes from other processes append to the `-wal` file, which inotify reports within a
 *   fraction of a millisecond (fs.watch on the directory);
 * - as a safety net, `PRAGMA data_version` is checked every `fallbackMs` while someone waits.
 */
const sameFile = new Map<string, Set<ChangeNotifier>>()

/** How long after a WAL write to keep looking for the commit to become visible. */
const LOOK_MS = 3

export class ChangeNotifier {
  private readonly waiters = new Waiters()
  private watcher: FSWatcher | null = null
  private fallback: NodeJS.Timeout | null = null
  private looking = false
  private closed = false
  private lookUntil = 0

  constructor(
    /** null for an in-memory database: no other connection can write it, so nothing to watch. */
    private readonly file: string | null,
    /** Returns true when another connection committed since the last call. */
    private readonly changedElsewhere: () => boolean,
    private readonly fallbackMs = 50,
  ) {
    if (file === null) return
    let peers = sameFile.get(file)
    if (!peers) sameFile.set(file, (peers = new Set()))
    peers.add(this)
  }

  /** Called after this process commits a write. */
  notifyLocal(): void {
    if (this.file === null) return this.wakeAll()
    for (const peer of sameFile.get(this.file) ?? []) peer.wakeAll()
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // A waiter woken by close() may come back: it returns at once, and nothing starts watching
    // a connection that is about to close.
    if (this.closed) return Promise.resolve()
    // A commit by another connection since we last looked counts as a change already.
    if (this.changedElsewhere()) {
      this.waiters.consumeMissed()
      return Promise.resolve()
    }
    if (this.file !== null) this.startWatching()
    return this.waiters.wait(timeoutMs, signal)
  }

  close(): void {
    this.closed = true
    this.wakeAll()
    this.stopWatching()
    if (this.file !== null) sameFile.get(this.file)?.delete(this)
  }

  /**
   * inotify reports the first write of a commit's WAL frames, before the commit is visible
   * (that happens in shared memory a few microseconds after the last frame is written). So look
   * again on each turn of the event loop for a short while: a timer here would add a whole
   * millisecond to most cross-process wake-ups. Every further write of the same commit extends
   * the window; a commit still not visible by then is left to the fallback poll.
   */
  private onWalWrite(): void {
    this.lookUntil = performance.now() + LOOK_MS
    if (this.looking) return
    this.looking = true
    const look = () => {
      if (this.closed) return
      if (this.changedElsewhere()) {
        this.looking = false
        return this.wakeAll()
      }
      if (this.waiters.size === 0 || performance.now() > this.lookUntil) {
        this.looking = false
        return
      }
      setImmediate(look)
    }
    look()
  }

  private wakeAll(): void {
    this.waiters.wakeAll()
  }

  private startWatching(): void {
    if (this.watcher || this.fallback || this.file === null) return
    const wal = `${basename(this.file)}-wal`
    try {
      this.watcher = watch(dirname(this.file), { persistent: false }, (_event, name) => {
        if (name === wal && this.waiters.size > 0) this.onWalWrite()
      })
      this.watcher.on('error', () => this.stopWatcherOnly())
    } catch {
      this.watcher = null
    }
    // Kept for the notifier's life once started: a waiter comes back soon after it wakes.
    this.fallback = setInterval(() => {
      if (this.waiters.size > 0 && this.changedElsewhere()) this.wakeAll()
    }, this.fallbackMs)
    this.fallback.unref()
  }

  private stopWatcherOnly(): void {
    this.watcher?.close()
    this.watcher = null
  }

  private stopWatching(): void {
    this.stopWatcherOnly()
    if (this.fallback) clearInterval(this.fallback)
    this.fallback = null
  }
}
