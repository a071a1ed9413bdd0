import type { NewJob } from '../broker/types.js'
import { UsageError } from '../errors.js'
import { toMs } from '../util/duration.js'
import type { EnqueueOptions } from './job-handle.js'
import { assertQueueName, assertTaskName } from './names.js'
import { assertPriority } from './priority.js'
import { DEFAULT_MAX_PAYLOAD, formatBytes, toBytes, type Size } from './size.js'
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
  return Math.round(t)
}

/**
 * The key a unique job is stored under: `<task>#<key>`. Task names never contain `#`, so the first
 * `#` ends the task name and keys of different tasks cannot collide (`a.k` + `sub:1` is not
 * `a.k:sub` + `1`). The stored form only matters while a job holding it is live: once it has
 * finished, the key is free, so changing this encoding never strands anything for long.
 */
export function uniqueKey(taskName: string, key: unknown): string {
  const text = String(key)
  if (text === '') throw new UsageError(`empty unique key for ${taskName}`, 'give a non-empty --key, or make unique() return one')
  return `${taskName}#${text}`
}

function checkPayloadSize(text: string, taskName: string, limit: number): void {
  // Most payloads are far below any limit: skip the byte count when even 3 bytes a char fits.
  if (text.length * 3 <= limit) return
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limit) {
    throw new UsageError(
      `payload for ${taskName} is ${formatBytes(bytes)}, over the ${formatBytes(limit)} limit`,
      'store large data elsewhere and pass its URL, or raise maxPayload in the task options or tq.config.ts',
    )
  }
}

const oneLineOf = (err: unknown) => String((err as Error)?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)

/** Turns task defaults plus enqueue options into what the broker stores. */
export function buildNewJob(
  taskName: string,
  taskOptions: TaskOptions<unknown> | undefined,
  payload: unknown,
  opts: EnqueueOptions = {},
  now = Date.now(),
  /** The config's `maxPayload`; a task's own option wins over it. */
  maxPayload: Size = DEFAULT_MAX_PAYLOAD,
): NewJob {
  assertTaskName(taskName)
  // Where only a description of the task is at hand (the engine, beat), `schema` is just a flag:
  // the task thread checks the payload before the run.
  if (typeof taskOptions?.schema?.parse === 'function') {
    try {
      payload = taskOptions.schema.parse(payload)
    } catch (err) {
      throw new UsageError(`payload for ${taskName} is invalid: ${oneLineOf(err)}`, "send a payload that matches the task's schema")
    }
  }
  if (opts.at !== undefined && opts.delay !== undefined) throw new UsageError('both at and delay given', 'give one: --at (a time) or --delay (a wait from now)')
  // Whole milliseconds, as brokers store times (a delay may be given as 0.5).
  const runAt = opts.at !== undefined ? toEpoch(opts.at) : Math.round(now + (opts.delay !== undefined ? toMs(opts.delay, 'delay') : 0))
  const priority = opts.priority ?? taskOptions?.priority ?? 0
  assertPriority(priority)
  const queue = opts.queue ?? taskOptions?.queue ?? 'default'
  assertQueueName(queue)
  const retries = taskOptions?.retries ?? 0
  const expires = opts.expires ?? taskOptions?.expires
  const key = opts.key ?? (taskOptions?.unique ? taskOptions.unique(payload) : undefined)
  const json = payloadToJson(payload, taskName)
  checkPayloadSize(json, taskName, toBytes(taskOptions?.maxPayload ?? maxPayload, 'maxPayload'))
  return {
    task: taskName,
    queue,
    payload: json,
    priority,
    runAt,
    maxAttempts: retries + 1,
    key: key == null ? null : uniqueKey(taskName, key),
    parentId: opts.parentId ?? null,
    expiresAt: expires === undefined ? null : Math.round(runAt + toMs(expires, 'expires')),
  }
}
