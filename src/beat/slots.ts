import { createRequire } from 'node:module'
import type { CronExpressionParser as Parser } from 'cron-parser'
import { toMs } from '../util/duration.js'
import type { ScheduleSpec } from '../app/schedule.js'

// cron-parser loads on first use: task threads import this module but rarely need it.
const require = createRequire(import.meta.url)
let parser: typeof Parser | undefined
const cron = (): typeof Parser => (parser ??= (require('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser)

/** A schedule's timing, compiled: the slots are pure functions of it, the same in every beat. */
export type Timing = { kind: 'cron'; expression: string; tz: string } | { kind: 'every'; ms: number }

/** The machine's IANA zone, the default for cron schedules. */
export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'

/** Validates and compiles a spec; throws an Error naming the problem. */
export function compileTiming(spec: ScheduleSpec, tz?: string): Timing {
  if (typeof spec === 'object' && spec !== null && 'every' in spec) {
    const ms = toMs(spec.every, 'interval')
    if (ms < 1) throw new Error(`interval ${String(spec.every)} is too short; use at least 1ms`)
    return { kind: 'every', ms }
  }
  if (typeof spec !== 'string') throw new Error(`expected a cron expression or { every: '5s' }, got ${JSON.stringify(spec)}`)
  const zone = tz ?? localZone()
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
  } catch {
    throw new Error(`unknown time zone "${zone}"; use an IANA name like Europe/Paris or UTC`)
  }
  const fields = spec.trim().split(/\s+/)
  if (fields.length < 5 || fields.length > 6) throw new Error(`invalid cron expression "${spec}": expected 5 fields (or 6 with seconds)`)
  try {
    cron().parse(spec, { tz: zone, currentDate: new Date() }).next()
  } catch (err) {
    throw new Error(`invalid cron expression "${spec}": ${(err as Error).message}`)
  }
  return { kind: 'cron', expression: spec.trim(), tz: zone }
}

/** How the timing reads in listings: the cron expression, or `every 5s`. */
export function describeTiming(t: Timing): string {
  return t.kind === 'cron' ? t.expression : `every ${t.ms % 1000 === 0 ? `${t.ms / 1000}s` : `${t.ms}ms`}`
}

/** The first slot strictly after `after` (epoch ms). */
export function nextSlot(t: Timing, after: number): number {
  if (t.kind === 'every') return (Math.floor(after / t.ms) + 1) * t.ms
  // cron-parser's next() is strictly after currentDate at second resolution; step from the
  // start of the second so a slot at exactly `after` is not returned again.
  const it = cron().parse(t.expression, { tz: t.tz, currentDate: new Date(Math.floor(after / 1000) * 1000) })
  let at = it.next().getTime()
  while (at <= after) at = it.next().getTime()
  return at
}

/** Slots in (from, to], oldest first, at most `limit` of them (the latest ones are kept). */
export function slotsBetween(t: Timing, from: number, to: number, limit = Infinity): number[] {
  if (t.kind === 'every') {
    const first = Math.floor(from / t.ms) + 1
    const last = Math.floor(to / t.ms)
    const start = Math.max(first, last - (Number.isFinite(limit) ? limit : Infinity) + 1)
    const out: number[] = []
    for (let k = start; k <= last; k++) out.push(k * t.ms)
    return out
  }
  // cron-parser's prev() disagrees with next() across DST changes, so walk forward only. To keep a
  // long downtime cheap, scan a window ending at `to` that doubles until it holds `limit` slots.
  let window = 60_000
  for (;;) {
    const start = Math.max(from, to - window)
    const out = forward(t.expression, t.tz, start, to)
    if (out.length >= limit || start === from) return out.slice(-limit)
    window *= 2
  }
}

function forward(expression: string, tz: string, from: number, to: number): number[] {
  const it = cron().parse(expression, { tz, currentDate: new Date(Math.floor(from / 1000) * 1000) })
  const out: number[] = []
  for (;;) {
    const at = it.next().getTime()
    if (at <= from) continue
    if (at > to) return out
    out.push(at)
  }
}

/** The next `n` slots after `after`. */
export function nextSlots(t: Timing, after: number, n: number): number[] {
  const out: number[] = []
  let at = after
  for (let i = 0; i < n; i++) out.push((at = nextSlot(t, at)))
  return out
}
