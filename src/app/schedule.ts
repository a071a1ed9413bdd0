import type { Duration } from '../util/duration.js'
import type { EnqueueOptions } from './job-handle.js'
import { QUEUE_NAME_HINT, queueNameProblem, taskNameProblem } from './names.js'
import { PRIORITY_HINT, priorityProblem } from './priority.js'
import type { Task } from './task-types.js'

export const SCHEDULE = Symbol.for('tqjs.schedule')

/** What to do with slots missed while no beat ran. */
export type CatchUp = 'latest' | 'all' | 'none'

export interface ScheduleOptions<P> {
  /** Name the slots are tracked by. Default: the export name. Renaming makes a new schedule. */
  name?: string
  /** IANA time zone for cron expressions. Default: the machine's zone. */
  tz?: string
  /** Payload of every slot's job. */
  payload?: P
  /** Missed slots after downtime: `latest` (default) runs once, `all` runs each (capped), `none` skips. */
  catchUp?: CatchUp
  queue?: EnqueueOptions['queue']
  priority?: number
}

/** `'0 3 * * *'` (cron, optional seconds field) or `{ every: '5s' }`. */
export type ScheduleSpec = string | { every: Duration }

export interface Schedule<P = unknown> {
  readonly [SCHEDULE]: true
  readonly spec: ScheduleSpec
  readonly task: Task<P, unknown> | string
  readonly options: ScheduleOptions<P>
}

/**
 * Runs a task periodically, enqueued by beat: `schedule('0 3 * * *', cleanup, { tz: 'Europe/Paris' })`
 * or `schedule({ every: '5s' }, ping)`. Each slot is enqueued exactly once, however many beats run.
 * Expressions and zones are checked when the module loads.
 */
export function schedule<P>(spec: ScheduleSpec, task: Task<P, any> | string, options: ScheduleOptions<P> = {}): Schedule<P> {
  // Checked here, where the module loads, rather than by beat when a slot comes due.
  if (typeof task === 'string' && taskNameProblem(task)) throw new Error(`schedule: ${taskNameProblem(task)} (use letters, digits and . _ - : /)`)
  if (options.queue !== undefined && queueNameProblem(options.queue)) throw new Error(`schedule: ${queueNameProblem(options.queue)} (${QUEUE_NAME_HINT})`)
  if (options.priority !== undefined && priorityProblem(options.priority)) throw new Error(`schedule: ${priorityProblem(options.priority)} (${PRIORITY_HINT})`)
  return { [SCHEDULE]: true, spec, task, options }
}

export function isSchedule(value: unknown): value is Schedule {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SCHEDULE] === true
}
