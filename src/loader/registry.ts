import { compileTiming } from '../beat/slots.js'
import type { ScheduleDef } from '../beat/schedule-def.js'
import type { TqConfig } from '../app/config.js'
import { isSchedule } from '../app/schedule.js'
import type { Size } from '../app/size.js'
import { isTask, type Task } from '../app/task.js'
import { slotTemplate } from '../beat/slot-job.js'

/** Everything a project's task modules define, by name. */
export interface Registry {
  tasks: Map<string, Task>
  /** Which module defined each task, for messages. */
  origin: Map<string, string>
  schedules: ScheduleDef[]
}

/**
 * Walks the exports of the task modules (as listed by the bundle) and indexes the definitions.
 * Schedules are validated here, where the file and the export name are known for the message.
 */
export function collectDefinitions(modules: ReadonlyArray<readonly [string, Record<string, unknown>]>, limits: { maxPayload?: Size } = {}): Registry {
  const registry: Registry = { tasks: new Map(), origin: new Map(), schedules: [] }
  for (const [file, ns] of modules) {
    for (const value of Object.values(ns)) {
      if (!isTask(value)) continue
      const seen = registry.origin.get(value.name)
      if (seen && registry.tasks.get(value.name) !== value) {
        throw new Error(`task "${value.name}" is defined twice, in ${seen} and ${file}; task names must be unique`)
      }
      registry.tasks.set(value.name, value)
      registry.origin.set(value.name, file)
    }
  }
  const names = new Map<string, string>()
  for (const [file, ns] of modules) {
    for (const [exportName, value] of Object.entries(ns)) {
      if (!isSchedule(value)) continue
      const name = value.options.name ?? exportName
      const where = `${file}: schedule "${name}"`
      if (names.has(name)) throw new Error(`${where} is defined twice (also in ${names.get(name)}); give one a name option`)
      names.set(name, file)
      let timing
      try {
        timing = compileTiming(value.spec, value.options.tz)
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`)
      }
      const taskName = typeof value.task === 'string' ? value.task : value.task?.name
      if (!taskName) throw new Error(`${where}: the second argument must be a task or a task name`)
      const def = typeof value.task === 'string' ? registry.tasks.get(value.task) : value.task
      registry.schedules.push({
        name,
        task: taskName,
        timing,
        payload: value.options.payload ?? null,
        catchUp: value.options.catchUp ?? 'latest',
        queue: value.options.queue,
        priority: value.options.priority,
        slot: slotTemplate(taskName, def?.options as Task['options'] | undefined, value.options.payload ?? null, value.options, limits.maxPayload),
        origin: file,
      })
    }
  }
  return registry
}

/** Adds the config's `schedules` to a list of schedules (validated the same way). */
export function addConfigSchedules(
  schedules: ScheduleDef[],
  tasks: ReadonlyMap<string, Task>,
  config: Pick<TqConfig, 'schedules' | 'maxPayload'>,
  configFile: string,
): void {
  for (const [name, s] of Object.entries(config.schedules ?? {})) {
    const where = `${configFile}: schedule "${name}"`
    if (schedules.some((d) => d.name === name)) throw new Error(`${where} is also defined in a task module; rename one`)
    if ((s.cron === undefined) === (s.every === undefined)) throw new Error(`${where}: give exactly one of cron or every`)
    let timing
    try {
      timing = compileTiming(s.cron ?? { every: s.every! }, s.tz)
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`)
    }
    schedules.push({
      name,
      task: s.task,
      timing,
      payload: s.payload ?? null,
      catchUp: s.catchUp ?? 'latest',
      queue: s.queue,
      priority: s.priority,
      slot: slotTemplate(s.task, tasks.get(s.task)?.options as Task['options'] | undefined, s.payload ?? null, s, config.maxPayload),
      origin: configFile,
    })
  }
}
