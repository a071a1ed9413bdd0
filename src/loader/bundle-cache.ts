import { createHash } from 'node:crypto'
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Remembers the last task bundle built in a build folder and the files it was built from, so a
 * command that starts (tq enqueue, tq worker) reuses it instead of loading esbuild and building
 * again when no input changed. An input counts as unchanged when its size, mtime and ctime are
 * the same; the key also covers the task files the globs matched, the project's tsconfig (esbuild
 * reads it) and the tq the bundle imports.
 */
interface Entry {
  key: string
  file: string
  inputs: { path: string; size: number; mtimeMs: number; ctimeMs: number }[]
}

const CACHE = 'tasks-cache.json'

export function cacheKey(parts: readonly string[]): string {
  return createHash('sha1').update(parts.join('\0')).digest('hex')
}

/** The cached bundle for this key if its file exists and none of its inputs changed; else undefined. */
export function cachedBundle(outDir: string, key: string): { file: string; inputs: string[] } | undefined {
  let entry: Entry
  try {
    entry = JSON.parse(readFileSync(join(outDir, CACHE), 'utf8')) as Entry
  } catch {
    return undefined
  }
  if (entry.key !== key || !existsSync(entry.file)) return undefined
  for (const input of entry.inputs) {
    const now = statOf(input.path)
    if (!now || now.size !== input.size || now.mtimeMs !== input.mtimeMs || now.ctimeMs !== input.ctimeMs) return undefined
  }
  return { file: entry.file, inputs: entry.inputs.map((i) => i.path) }
}

/**
 * Records a bundle just built from `inputs`, a build that started at `startedAt` (epoch ms).
 * An input changed since shortly before the build may have been read before or after that
 * change: it is not recorded, so the next start builds again (file times are coarse, a few ms,
 * hence the margin). Failing to write the record only costs that rebuild.
 */
export function rememberBundle(outDir: string, key: string, file: string, inputs: readonly string[], startedAt: number): void {
  const stats = inputs.map((path) => ({ path, ...statOf(path) }))
  if (stats.some((s) => s.ctimeMs === undefined || s.ctimeMs >= startedAt - 50)) return
  const tmp = join(outDir, `${CACHE}.${process.pid}.tmp`)
  try {
    writeFileSync(tmp, JSON.stringify({ key, file, inputs: stats as Entry['inputs'] } satisfies Entry), { mode: 0o600 })
    renameSync(tmp, join(outDir, CACHE))
  } catch {
    /* a read-only build folder was reported by the build itself */
  }
}

function statOf(path: string): { size: number; mtimeMs: number; ctimeMs: number } | undefined {
  try {
    const s = statSync(path)
    return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs }
  } catch {
    return undefined
  }
}
