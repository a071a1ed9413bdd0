import type { TqConfig } from '../app/config.js'
import { isSchedule, type Schedule } from '../app/schedule.js'
import { isContract, isTask, type Task } from '../app/task.js'
import { UsageError } from '../errors.js'
import { loadProject, loadRegistry, type ProjectOptions } from '../loader/project.js'
import { addConfigSchedules, collectDefinitions, type Registry } from '../loader/registry.js'

/** What a test may list as its tasks: task objects, schedules, or whole modules (`import * as tasks`). */
export type TaskSource = Task<any, any> | Schedule<any> | Readonly<Record<string, unknown>>

/** The parts of a config a test queue uses when the tasks are given as a list. */
export type TestConfig = Pick<TqConfig, 'schedules' | 'maxPayload' | 'worker'>

/**
 * The definitions of a list of tasks, schedules and modules, indexed as the worker indexes a
 * project's (collectDefinitions), plus the config's schedules. Modules imported by the test
 * itself are the test's own copies, so `vi.mock` applies to what they import.
 */
export function registryFromList(list: readonly TaskSource[], config: TestConfig): Registry {
  const loose: Record<string, unknown> = {}
  const modules: [string, Record<string, unknown>][] = []
  list.forEach((item, i) => {
    if (isTask(item)) loose[`task ${item.name}`] = item
    // A schedule's name is its export name in a module; listed alone it needs one of its own.
    else if (isSchedule(item)) loose[item.options.name ?? `${typeof item.task === 'string' ? item.task : item.task.name}#${i}`] = item
    else if (isContract(item)) throw new UsageError(`tasks[${i}] is the contract of "${item.name}", which has no handler`, 'list the implementation (contract.implement(handler)) or the module that exports it')
    else if (typeof item === 'object' && item !== null) modules.push([`tasks[${i}]`, item as Record<string, unknown>])
    else throw new UsageError(`tasks[${i}] is ${item === null ? 'null' : typeof item}, not a task, schedule or module`, 'list tasks, schedules or modules: tasks: [sendWelcome, tasksModule]')
  })
  if (Object.keys(loose).length > 0) modules.unshift(['tasks', loose])
  try {
    const registry = collectDefinitions(modules, { maxPayload: config.maxPayload })
    addConfigSchedules(registry.schedules, registry.tasks, config, 'createTestQueue config')
    return registry
  } catch (err) {
    throw new UsageError((err as Error).message, 'fix the tasks or config given to createTestQueue')
  }
}

/**
 * The project's own tasks and schedules, found as `tq worker` finds them (tq.config.ts in `cwd`
 * or above, or `config`), bundled and imported in this process.
 */
export async function registryFromProject(opts: ProjectOptions): Promise<{ registry: Registry; config: TqConfig }> {
  const project = await loadProject({ ...opts, requireConfig: true })
  const { registry } = await loadRegistry(project)
  return { registry, config: project.config }
}
