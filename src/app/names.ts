import { UsageError } from '../errors.js'

/**
 * Task and queue names share one rule: letters, digits and `_ . : - /`, not starting with a
 * punctuation mark. Names end up in log lines, `tq jobs` columns and Redis keys, so whitespace
 * and control characters are kept out; and unique keys rely on `#` never appearing in a task
 * name (see uniqueKey in new-job.ts).
 */
export const TASK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/]*$/
const QUEUE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/]{0,99}$/
const CHARS = 'letters, digits and . _ - : /, starting with a letter, digit or _'

/**
 * Names already found valid: a producer enqueues the same few tasks over and over, and the
 * regular expression was a few per cent of an enqueue. Bounded, in case names are made up per call.
 */
const validTasks = new Set<string>()
const validQueues = new Set<string>()
function remember(valid: Set<string>, name: string): undefined {
  if (valid.size >= 1000) valid.clear()
  valid.add(name)
  return undefined
}

/** Why `name` is not a valid task name, or undefined if it is. */
export function taskNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && validTasks.has(name)) return undefined
  if (typeof name !== 'string' || !TASK_NAME.test(name)) return `invalid task name ${JSON.stringify(name)}`
  return remember(validTasks, name)
}

export function assertTaskName(name: unknown): asserts name is string {
  const problem = taskNameProblem(name)
  if (problem) throw new UsageError(problem, `use ${CHARS}`)
}

/** Why `name` is not a valid queue name (1–100 characters, the task-name set), or undefined. */
export function queueNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && validQueues.has(name)) return undefined
  if (typeof name !== 'string' || !QUEUE_NAME.test(name)) return `invalid queue name ${JSON.stringify(name)}`
  return remember(validQueues, name)
}

export const QUEUE_NAME_HINT = `use 1 to 100 ${CHARS}`

export function assertQueueName(name: unknown, what = 'queue'): asserts name is string {
  const problem = queueNameProblem(name)
  if (problem) throw new UsageError(what === 'queue' ? problem : `${what}: ${problem}`, QUEUE_NAME_HINT)
}
