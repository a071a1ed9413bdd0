import type { Registry } from '../loader/registry.js'
import type { TaskOptions } from '../app/task.js'
import type { ScheduleDef } from '../beat/schedule-def.js'

/** A task's options as data: what the engine needs, without functions (they stay in the thread). */
export type TaskInfoOptions = Omit<TaskOptions<unknown>, 'unique' | 'schema'> & { unique?: boolean; schema?: boolean }

export interface TaskInfo {
  name: string
  options: TaskInfoOptions
  /** The module that defines it. */
  origin: string
}

/**
 * What a task bundle defines, as plain data. A task thread builds it after loading the bundle and
 * sends it to the engine, so the engine's thread never imports user code: a reload leaves nothing
 * behind in it, and a module with side effects runs only where tasks run.
 */
export interface Manifest {
  tasks: TaskInfo[]
  schedules: ScheduleDef[]
}

/** The engine's view of the tasks, by name. */
export type TaskCatalog = Map<string, TaskInfo>

export function manifestOf(registry: Registry): Manifest {
  return {
    tasks: [...registry.tasks.values()].map((t) => {
      const { unique, schema, ...rest } = t.options
      return { name: t.name, options: { ...rest, unique: unique !== undefined, schema: schema !== undefined }, origin: registry.origin.get(t.name) ?? '' }
    }),
    // Plain data already: each schedule's job was built in the thread, with the task's functions.
    schedules: registry.schedules,
  }
}

export function catalogOf(manifest: Manifest): TaskCatalog {
  return new Map(manifest.tasks.map((t) => [t.name, t]))
}
