import { watch, type FSWatcher } from 'chokidar'
import { statSync } from 'node:fs'
import { relative, resolve, sep } from 'node:path'
import { globToRegExp } from '../loader/glob.js'

export interface WatchTargets {
  /** Local files the task bundle was built from (esbuild's metafile). */
  taskInputs: readonly string[]
  /** Local files the config was built from. */
  configInputs: readonly string[]
  /** Task globs, relative to root: a new file matching them is a change too. */
  taskGlobs: readonly string[]
}

export interface CodeChange {
  files: string[]
  /** A config input changed: the engine restarts instead of swapping code. */
  config: boolean
}

const IGNORED = /(^|[/\\])(node_modules|\.git|\.tq|dist)([/\\]|$)/

/**
 * Watches a project for edits that matter: files the bundle or config came from, and task files
 * appearing or disappearing. Bursts of events (editors write in several steps) become one change.
 */
export class CodeWatcher {
  private watcher: FSWatcher
  private taskInputs = new Set<string>()
  private configInputs = new Set<string>()
  private globs: RegExp[] = []
  private pending = new Set<string>()
  private pendingConfig = false
  private timer: NodeJS.Timeout | undefined
  private recheckTimer: NodeJS.Timeout | undefined
  /** mtime of each input as of the last change reported, to catch saves chokidar drops. */
  private readonly mtimes = new Map<string, number>()

  constructor(
    private readonly root: string,
    targets: WatchTargets,
    private readonly onChange: (change: CodeChange) => void,
    private readonly debounceMs = 15,
  ) {
    this.update(targets)
    this.watcher = watch(root, { ignored: (p) => IGNORED.test(relative(root, p)), ignoreInitial: true })
    for (const event of ['add', 'change', 'unlink'] as const) this.watcher.on(event, (p) => this.event(event, resolve(p)))
  }

  /** Ready once the initial scan is done (edits before that may be missed). */
  ready(): Promise<void> {
    return new Promise((r) => this.watcher.once('ready', () => r()))
  }

  update(targets: WatchTargets): void {
    this.taskInputs = new Set(targets.taskInputs.map((f) => resolve(f)))
    this.configInputs = new Set(targets.configInputs.map((f) => resolve(f)))
    this.globs = targets.taskGlobs.map((g) => globToRegExp(g.replace(/^\.\//, '')))
    for (const f of [...this.taskInputs, ...this.configInputs]) if (!this.mtimes.has(f)) this.mtimes.set(f, mtime(f))
  }

  close(): Promise<void> {
    clearTimeout(this.timer)
    clearTimeout(this.recheckTimer)
    return this.watcher.close()
  }

  private event(_kind: 'add' | 'change' | 'unlink', file: string): void {
    const rel = relative(this.root, file).split(sep).join('/')
    const isConfig = this.configInputs.has(file)
    // Any task module counts, not only those in the last good build: a new file that failed to
    // build is not an input yet, and its fix must still reload.
    const matters = isConfig || this.taskInputs.has(file) || this.globs.some((g) => g.test(rel))
    if (!matters) return
    this.mark(rel, isConfig)
  }

  private mark(rel: string, isConfig: boolean): void {
    this.pending.add(rel)
    if (isConfig) this.pendingConfig = true
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.emit(), this.debounceMs)
  }

  private emit(): void {
    for (const rel of this.pending) this.mtimes.set(resolve(this.root, rel), mtime(resolve(this.root, rel)))
    const change = { files: [...this.pending].sort(), config: this.pendingConfig }
    this.pending.clear()
    this.pendingConfig = false
    this.onChange(change)
    // chokidar reports at most one change per file per 50 ms and drops the rest: a second quick
    // save would be lost. Look at the inputs' mtimes once that window has passed.
    clearTimeout(this.recheckTimer)
    this.recheckTimer = setTimeout(() => this.recheck(), 60)
  }

  private recheck(): void {
    for (const file of [...this.taskInputs, ...this.configInputs]) {
      const m = mtime(file)
      if (m !== this.mtimes.get(file)) {
        this.mtimes.set(file, m)
        this.mark(relative(this.root, file).split(sep).join('/'), this.configInputs.has(file))
      }
    }
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return -1
  }
}
