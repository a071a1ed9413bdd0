import { pathToFileURL } from 'node:url'
import { collectDefinitions, type Registry } from './registry.js'
import { isUserFile, LoadError } from './load-error.js'

// Stack traces from bundles then point at the user's .ts files and lines.
process.setSourceMapsEnabled(true)

/**
 * Imports a task bundle in this thread and indexes its definitions. Kept apart from the bundler
 * so task threads, which call it, do not load esbuild.
 */
export async function importTasks(bundleFile: string): Promise<Registry> {
  let mod: { modules: [string, Record<string, unknown>][] }
  try {
    mod = (await import(pathToFileURL(bundleFile).href)) as typeof mod
  } catch (err) {
    throw runtimeLoadError(err)
  }
  try {
    return collectDefinitions(mod.modules)
  } catch (err) {
    throw new LoadError((err as Error).message)
  }
}

/** A module that threw while loading: point at the first frame in the user's own files. */
export function runtimeLoadError(err: unknown, fallbackFile?: string): LoadError {
  const e = err as Error
  // A bare import that does not resolve: the message names the bundle, which means nothing to the user.
  const missing = /Cannot find (?:package|module) '([^']+)' imported from .*\/\.tq\/build\//.exec(String(e?.message))
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
