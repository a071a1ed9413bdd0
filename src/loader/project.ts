import { dirname, join } from 'node:path'
import type { Registry } from './registry.js'
import { importTasks } from './import-tasks.js'
import { runtimeLoadError } from '../load-error.js'
import { DEFAULT_BROKER, DEFAULT_TASKS, type TqConfig } from '../app/config.js'
import { ConfigError } from '../errors.js'
import { keepPrivate } from '../private-files.js'
import { findConfig, readConfig, type ConfigLookup } from '../app/config-file.js'
import { bundleTasks, type Bundle, type IncrementalBuilds } from './bundle.js'
import { findFiles } from './glob.js'

export interface ProjectOptions extends ConfigLookup {
  /** `--broker`: overrides TQ_BROKER_URL and the config. */
  broker?: string
}

export interface Project {
  /** The folder of the config file (or the working folder when there is none). */
  root: string
  configFile: string | null
  config: TqConfig
  /** The broker URL in force: --broker, then TQ_BROKER_URL, then the config, then the default. */
  brokerUrl: string
  /** Where tq keeps local state and builds: `<root>/.tq`. */
  stateDir: string
  /** Local files the config was built from (to watch). */
  configInputs: string[]
}

/**
 * Loads the project. Without a config file, commands that only need a broker still work when
 * one is given by --broker or TQ_BROKER_URL; otherwise `requireConfig` makes it an error.
 */
export async function loadProject(opts: ProjectOptions & { requireConfig?: boolean } = {}): Promise<Project> {
  const cwd = opts.cwd ?? process.cwd()
  const configFile = findConfig(opts)
  const override = opts.broker ?? (process.env.TQ_BROKER_URL || undefined)
  if (!configFile && (opts.requireConfig || !override)) {
    throw new ConfigError(`no tq.config.ts in ${cwd} or above it`, 'run tq init, cd into your project, or pass --config <file>')
  }
  const root = configFile ? dirname(configFile) : cwd
  const stateDir = join(root, '.tq')
  keepPrivate(stateDir, 0o700)
  keepPrivate(join(stateDir, 'build'), 0o700)
  let config: TqConfig = {}
  let configInputs: string[] = []
  if (configFile) ({ config, inputs: configInputs } = await readConfig(configFile))
  return { root, configFile, config, brokerUrl: override ?? config.broker ?? DEFAULT_BROKER, stateDir, configInputs }
}

/** Task module paths the config's globs match. */
export function taskFilesOf(project: Project): string[] {
  const globs = project.config.tasks ?? DEFAULT_TASKS
  // Only globs the user wrote must match: the default may well match nothing in a new project.
  return findFiles(project.root, Array.isArray(globs) ? globs : [globs], { mustMatch: project.config.tasks !== undefined })
}

/** Bundles the task modules into `.tq/build`. */
export function buildTasks(project: Project, incremental?: IncrementalBuilds): Promise<Bundle> {
  return bundleTasks(project.root, taskFilesOf(project), join(project.stateDir, 'build'), incremental)
}

/** Builds and imports the project's tasks, plus the schedules its config declares. */
export async function loadRegistry(project: Project): Promise<{ registry: Registry; bundle: Bundle }> {
  const bundle = await buildTasks(project)
  const registry = await importTasks(bundle.file, project)
  return { registry, bundle }
}

export { findConfig, importTasks, runtimeLoadError }
