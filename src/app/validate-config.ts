import { ConfigError } from '../errors.js'
import { toMs } from './duration.js'
import type { TqConfig } from './config.js'

/**
 * Checks the shape of a loaded config, so a typo fails at load with the field named, instead of
 * as a TypeError somewhere in the engine.
 */
export function validateConfig(config: TqConfig, file: string): TqConfig {
  const fail = (field: string, want: string) => {
    throw new ConfigError(`${file}: ${field} must be ${want}`, `fix ${field} in the config`)
  }
  const positiveInt = (v: unknown, field: string) => v === undefined || (Number.isInteger(v) && (v as number) >= 1) || fail(field, 'a whole number of at least 1')
  const duration = (v: unknown, field: string) => {
    if (v === undefined) return
    if (typeof v !== 'string' && typeof v !== 'number') fail(field, "a duration like '30s' or a number of milliseconds")
    try {
      toMs(v as string, field)
    } catch {
      fail(field, "a duration like '30s' or a number of milliseconds")
    }
  }
  const strings = (v: unknown, field: string) =>
    v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0)) || fail(field, "a list of names, like ['default', 'emails']")

  if (config.broker !== undefined && typeof config.broker !== 'string') fail('broker', "a URL string, like 'sqlite://.tq/tq.db'")
  if (config.tasks !== undefined && typeof config.tasks !== 'string') strings(config.tasks, 'tasks')
  const w = config.worker ?? {}
  if (typeof w !== 'object') fail('worker', 'an object')
  positiveInt(w.concurrency, 'worker.concurrency')
  positiveInt(w.threads, 'worker.threads')
  strings(w.queues, 'worker.queues')
  duration(w.lease, 'worker.lease')
  duration(w.shutdownGrace, 'worker.shutdownGrace')
  positiveInt(config.beat?.maxCatchUp, 'beat.maxCatchUp')
  duration(config.retention?.finished, 'retention.finished')
  duration(config.retention?.failed, 'retention.failed')
  if (config.schedules !== undefined && (typeof config.schedules !== 'object' || Array.isArray(config.schedules))) fail('schedules', 'an object of named schedules')
  return config
}
