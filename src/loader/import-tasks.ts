import { pathToFileURL } from 'node:url'
import type { TqConfig } from '../app/config.js'
import { addConfigSchedules, collectDefinitions, type Registry } from './registry.js'
import { LoadError, runtimeLoadError } from '../load-error.js'

// Stack traces from bundles then point at the user's .ts files and lines.
process.setSourceMapsEnabled(true)

/** What of the config shapes the definitions: the payload limit and the config's schedules. */
export interface ProjectPart {
  config: Pick<TqConfig, 'schedules' | 'maxPayload'>
  configFile: string | null
}

/**
 * Imports a task bundle in this thread and indexes its definitions, plus the config's schedules
 * (their jobs are built here, with the tasks' real options). Kept apart from the bundler so task
 * threads, which call it, do not load esbuild.
 */
export async function importTasks(bundleFile: string, project: ProjectPart = { config: {}, configFile: null }): Promise<Registry> {
  let mod: { modules: [string, Record<string, unknown>][] }
  try {
    mod = (await import(pathToFileURL(bundleFile).href)) as typeof mod
  } catch (err) {
    throw runtimeLoadError(err)
  }
  try {
    const registry = collectDefinitions(mod.modules, { maxPayload: project.config.maxPayload })
    if (project.configFile) addConfigSchedules(registry.schedules, registry.tasks, project.config, project.configFile)
    return registry
  } catch (err) {
    throw new LoadError((err as Error).message)
  }
}
