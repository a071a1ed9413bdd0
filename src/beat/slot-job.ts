import { buildNewJob } from '../app/new-job.js'
import type { Size } from '../app/size.js'
import type { TaskOptions } from '../app/task.js'
import type { NewJob } from '../broker/types.js'

/**
 * A schedule's job, built once where the task's definition lives (its schema, unique key and
 * defaults), through the same pipeline as any enqueue; beat adds only the slot's id and time.
 * So `tq beat` and the beat inside `tq dev` enqueue the same job, and a payload the task refuses
 * is known when the schedule loads.
 */
export type SlotTemplate =
  | { job: Omit<NewJob, 'id' | 'runAt' | 'expiresAt' | 'parentId'> & { /** ms after the slot */ expiresInMs: number | null } }
  | { refused: string }

export function slotTemplate(
  task: string,
  taskOptions: TaskOptions<unknown> | undefined,
  payload: unknown,
  opts: { queue?: string; priority?: number },
  maxPayload?: Size,
): SlotTemplate {
  try {
    // Built at time 0: runAt is 0 and expiresAt is the expiry's offset from the slot.
    const { runAt: _at, expiresAt, parentId: _p, id: _id, ...job } = buildNewJob(task, taskOptions, payload, { ...opts, at: 0 }, 0, maxPayload)
    return { job: { ...job, expiresInMs: expiresAt ?? null } }
  } catch (err) {
    const e = err as Error & { hint?: string }
    return { refused: e.hint ? `${e.message} (${e.hint})` : e.message }
  }
}

/** The job of one slot: deterministic id, run at the slot time. */
export function slotJob(template: Extract<SlotTemplate, { job: unknown }>, schedule: string, slotAt: number): NewJob & { id: string } {
  const { expiresInMs, ...job } = template.job
  return { ...job, id: `schedule:${schedule}:${new Date(slotAt).toISOString()}`, runAt: slotAt, expiresAt: expiresInMs === null ? null : slotAt + expiresInMs, parentId: null }
}
