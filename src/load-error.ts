import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Message } from 'esbuild'
import { TqError } from './errors.js'
import { packageRoot } from './paths.js'

/** tq's own code, compiled or not: a frame there is where tq noticed the problem, not where the user made it. */
const TQ_OWN = [join(packageRoot, 'dist') + '/', join(packageRoot, 'src') + '/']

/** Whether a stack frame's file is the user's own code (not a dependency, a tq build or tq itself). */
export function isUserFile(file: string): boolean {
  return !file.includes('node_modules') && !file.includes('/.tq/build/') && !file.startsWith('node:') && !TQ_OWN.some((d) => file.startsWith(d))
}

/** Two lines of source around `line` with a caret under `column` (1-based), or undefined if unreadable. */
export function codeFrame(file: string, line: number, column: number): string | undefined {
  let lines: string[]
  try {
    lines = readFileSync(file, 'utf8').split('\n')
  } catch {
    return undefined
  }
  const out: string[] = []
  for (let n = Math.max(1, line - 2); n <= Math.min(lines.length, line + 1); n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(4)} | ${lines[n - 1]}`)
    if (n === line) out.push(`       | ${' '.repeat(Math.max(0, column - 1))}^`)
  }
  return out.join('\n')
}

export interface SourceLocation {
  file: string
  line: number
  column: number
  /** A few lines of source with a caret under the problem. */
  frame?: string
}

/** User code (config or a task module) failed to build or to load. */
export class LoadError extends TqError {
  constructor(
    readonly detail: string,
    readonly location?: SourceLocation,
    hint = 'fix the file; tq dev reloads it on save',
  ) {
    super(location ? `${location.file}:${location.line}:${location.column}: ${detail}` : detail, hint)
    if (location && !location.frame) location.frame = codeFrame(location.file, location.line, location.column)
  }
}

/** A module that threw while loading: point at the first frame in the user's own files. */
export function runtimeLoadError(err: unknown, fallbackFile?: string): LoadError {
  const e = err as Error
  // A bare import that does not resolve: the message names the bundle, which means nothing to the user.
  const missing = /Cannot find (?:package|module) '([^']+)' imported from (?:.*\/\.tq\/build\/|data:)/.exec(String(e?.message))
  if (missing) {
    return new LoadError(`a task module imports "${missing[1]}", which is not installed`, undefined, `npm install ${missing[1]}, or fix the import`)
  }
  const frames = String(e?.stack ?? '').split('\n').slice(1)
  for (const f of frames) {
    // `at fn (/abs/file.ts:3:7)` or `at /abs/file.ts:3:7`: the path must start the location.
    const m = /(?:\(|at )((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/.exec(f)
    const file = m?.[1]!.replace(/^file:\/\//, '')
    if (m && file && isUserFile(file)) {
      return new LoadError(`${e.name ?? 'Error'}: ${e.message}`, { file, line: Number(m[2]), column: Number(m[3]) })
    }
  }
  return new LoadError(`${fallbackFile ? fallbackFile + ': ' : ''}${e?.message ?? String(err)}`)
}

/** An esbuild build error, at the user's file and line. */
export function esbuildLoadError(root: string, msg: Message): LoadError {
  const loc = msg.location
  if (!loc) return new LoadError(msg.text)
  const file = resolve(root, loc.file)
  return new LoadError(msg.text, { file, line: loc.line, column: loc.column + 1, frame: codeFrame(file, loc.line, loc.column + 1) })
}
