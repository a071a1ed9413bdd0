import { UsageError } from '../errors.js'

/**
 * Priorities are integers within ±1,000,000: plenty of levels, and small enough that every broker
 * stores and orders them exactly (Redis keeps them as sorted-set scores, doubles).
 */
export const MAX_PRIORITY = 1_000_000

export function priorityProblem(value: unknown): string | undefined {
  if (!Number.isInteger(value) || Math.abs(value as number) > MAX_PRIORITY) return `invalid priority ${String(value)}`
  return undefined
}

export const PRIORITY_HINT = `use an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}; higher runs first`

export function assertPriority(value: unknown, what = 'priority'): asserts value is number {
  const problem = priorityProblem(value)
  if (problem) throw new UsageError(what === 'priority' ? problem : `${what}: ${problem}`, PRIORITY_HINT)
}
