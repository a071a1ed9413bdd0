import type { NewJob } from '../broker/types.js'
import { UsageError } from '../errors.js'
import { toMs } from './duration.js'
import type { EnqueueOptions } from './job-handle.js'
import type { TaskOptions } from './task-types.js'

/** Serialises a payload; payloads are JSON values, never code. */
export function payloadToJson(payload: unknown, taskName: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(payload === undefined ? null : payload)
  } catch (err) {
    throw new UsageError(`payload for ${taskName} is not JSON-serialisable: ${(err as Error).message}`, 'pass plain objects, arrays, strings, numbers, booleans or null')
  }
  if (text === undefined) throw new UsageError(`payload for ${taskName} is not JSON-serialisable`, 'pass plain objects, arrays, strings, numbers, booleans or null')
  return text
}

function toEpoch(at: Date | string | number): number {
  const t = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at)
  if (!Number.isFinite(t)) throw new UsageError(`invalid time "${String(at)}"`, 'use an ISO date like 2026-01-31T09:00:00Z')
  return t
}

const oneLineOf = (err: unknown) => String((err as Error)?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)

/** Turns task defaults plus enqueue options into what the broker stores. */
export function buildNewJob(
  taskName: string,
  taskOptions: TaskOptions<unknown> | undefined,
  payload: unknown,
  opts: EnqueueOptions = {},
  now = Date.now(),
): NewJob {
  // Where only a description of the task is at hand (the engine, beat), `schema` is just a flag:
  // the task thread checks the payload before the run.
  if (typeof taskOptions?.schema?.parse === 'function') {
    try {
      payload = taskOptions.schema.parse(payload)
    } catch (err) {
      throw new UsageError(`payload for ${taskName} is invalid: ${oneLineOf(err)}`, "send a payload that matches the task's schema")
    }
  }
  const runAt = opts.at !== undefined ? toEpoch(opts.at) : now + (opts.delay !== undefined ? toMs(opts.delay, 'delay') : 0)
  const priority = opts.priority ?? taskOptions?.priority ?? 0
  if (!Number.isInteger(priority)) throw new UsageError(`invalid priority ${priority}`, 'use an integer; higher runs first')
  const retries = taskOptions?.retries ?? 0
  const expires = opts.expires ?? taskOptions?.expires
  const key = opts.key ?? (taskOptions?.unique ? taskOptions.unique(payload) : undefined)
  return {
    task: taskName,
    queue: opts.queue ?? taskOptions?.queue ?? 'default',
    payload: payloadToJson(payload, taskName),
    priority,
    runAt,
    maxAttempts: retries + 1,
    key: key == null ? null : `${taskName}:${key}`,
    parentId: opts.parentId ?? null,
    expiresAt: expires === undefined ? null : runAt + toMs(expires, 'expires'),
  }
}
