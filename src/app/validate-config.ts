import { ConfigError } from '../errors.js'
import { closestName } from './closest-name.js'
import { toMs } from '../util/duration.js'
import { CONFIG_KEYS, type TqConfig } from './config.js'
import { QUEUE_NAME_HINT, queueNameProblem, taskNameProblem } from './names.js'
import { PRIORITY_HINT, priorityProblem } from './priority.js'
import { toBytes } from './size.js'

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
  const queues = (v: unknown, field: string) => {
    strings(v, field)
    for (const q of (v as string[] | undefined) ?? []) {
      const problem = queueNameProblem(q)
      if (problem) throw new ConfigError(`${file}: ${field}: ${problem}`, QUEUE_NAME_HINT)
    }
  }
  // An unknown key is most likely a typo of a known one: a silently ignored `wrker:` runs the defaults.
  const knownKeys = (v: unknown, section: string, known: readonly string[]) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return
    for (const key of Object.keys(v)) {
      if (known.includes(key)) continue
      const field = section ? `${section}.${key}` : key
      const near = closestName(key, known)
      throw new ConfigError(
        `${file}: unknown config key "${field}"`,
        near ? `did you mean ${section ? `${section}.` : ''}${near}?` : `known keys${section ? ` of ${section}` : ''}: ${known.join(', ')}`,
      )
    }
  }

  knownKeys(config, '', CONFIG_KEYS.top)
  knownKeys(config.worker, 'worker', CONFIG_KEYS.worker)
  knownKeys(config.beat, 'beat', CONFIG_KEYS.beat)
  knownKeys(config.retention, 'retention', CONFIG_KEYS.retention)
  knownKeys(config.tracing, 'tracing', CONFIG_KEYS.tracing)
  knownKeys(config.hooks, 'hooks', CONFIG_KEYS.hooks)
  if (config.instrumentation !== undefined && (typeof config.instrumentation !== 'string' || config.instrumentation === '')) {
    fail('instrumentation', "a module path relative to the config file, like './otel.ts'")
  }
  if (config.tracing !== undefined && (typeof config.tracing !== 'object' || config.tracing === null || Array.isArray(config.tracing))) fail('tracing', 'an object like { enabled: true }')
  for (const k of ['enabled', 'parent'] as const) {
    if (config.tracing?.[k] !== undefined && typeof config.tracing[k] !== 'boolean') fail(`tracing.${k}`, 'true or false')
  }
  if (config.hooks !== undefined && (typeof config.hooks !== 'object' || config.hooks === null || Array.isArray(config.hooks))) fail('hooks', 'an object like { failed: (job, error) => … }')
  for (const k of ['succeeded', 'failed', 'retrying', 'expired'] as const) {
    if (config.hooks?.[k] !== undefined && typeof config.hooks[k] !== 'function') fail(`hooks.${k}`, 'a function (job, error) => void')
  }
  duration(config.hooks?.timeout, 'hooks.timeout')
  if (config.broker !== undefined && typeof config.broker !== 'string') fail('broker', "a URL string, like 'sqlite://.tq/tq.db'")
  if (config.tasks !== undefined && typeof config.tasks !== 'string') strings(config.tasks, 'tasks')
  const w = config.worker ?? {}
  if (typeof w !== 'object') fail('worker', 'an object')
  positiveInt(w.concurrency, 'worker.concurrency')
  positiveInt(w.threads, 'worker.threads')
  positiveInt(w.maxThreads, 'worker.maxThreads')
  if (w.threadHeap !== undefined) {
    try {
      if (toBytes(w.threadHeap, 'worker.threadHeap') < 16 * 1048576) throw new Error('too small')
    } catch {
      fail('worker.threadHeap', "a size of at least 16mb, like '512mb' or '2gb'")
    }
  }
  queues(w.queues, 'worker.queues')
  duration(w.lease, 'worker.lease')
  duration(w.shutdownGrace, 'worker.shutdownGrace')
  positiveInt(config.beat?.maxCatchUp, 'beat.maxCatchUp')
  duration(config.retention?.finished, 'retention.finished')
  duration(config.retention?.failed, 'retention.failed')
  if (config.maxPayload !== undefined) {
    try {
      toBytes(config.maxPayload, 'maxPayload')
    } catch {
      fail('maxPayload', "a size like '512kb' or '4mb', or a number of bytes")
    }
  }
  if (config.schedules !== undefined && (typeof config.schedules !== 'object' || Array.isArray(config.schedules))) fail('schedules', 'an object of named schedules')
  for (const [name, s] of Object.entries(config.schedules ?? {})) {
    const field = `schedules.${name}`
    if (!s || typeof s !== 'object') fail(field, 'an object like { cron, task }')
    knownKeys(s, field, CONFIG_KEYS.schedule)
    const bad = taskNameProblem(s.task) ?? (s.queue !== undefined ? queueNameProblem(s.queue) : undefined)
    if (bad) throw new ConfigError(`${file}: ${field}: ${bad}`, s.queue !== undefined && !taskNameProblem(s.task) ? QUEUE_NAME_HINT : 'name a task defined with task()')
    if (s.priority !== undefined && priorityProblem(s.priority)) throw new ConfigError(`${file}: ${field}: ${priorityProblem(s.priority)}`, PRIORITY_HINT)
  }
  return config
}
