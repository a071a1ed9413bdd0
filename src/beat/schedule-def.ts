import type { TaskOptions } from '../app/task.js'
import type { CatchUp } from '../app/schedule.js'
import type { Timing } from './slots.js'

/** A schedule resolved from a module export or the config: everything beat needs, as data. */
export interface ScheduleDef {
  name: string
  task: string
  timing: Timing
  payload: unknown
  catchUp: CatchUp
  queue?: string
  priority?: number
  /** The task's own options (queue, retries…) when its definition is loaded. */
  taskOptions?: TaskOptions<unknown>
  /** Where it was defined, for messages. */
  origin: string
}
