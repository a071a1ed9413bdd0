import type { CatchUp } from '../app/schedule.js'
import type { SlotTemplate } from './slot-job.js'
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
  /** The slot's job as the task's definition builds it, or why the task refuses the payload. */
  slot: SlotTemplate
  /** Where it was defined, for messages. */
  origin: string
}
