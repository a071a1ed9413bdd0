import { pathToFileURL } from 'node:url'
import { collectDefinitions, type Registry } from './registry.js'
import { LoadError, runtimeLoadError } from '../load-error.js'

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
