import { UsageError } from '../errors.js'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** A length of time: milliseconds as a number, or a string like `'500ms'`, `'10s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | string

/** Converts a Duration to milliseconds; throws a UsageError naming the bad value. */
export function toMs(value: Duration, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`invalid ${what} ${value}`, 'use a non-negative number of milliseconds')
    return value
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value)
  if (!m) throw new UsageError(`invalid ${what} "${value}"`, "use a number with a unit, like '500ms', '10s', '5m', '1h' or '1d'")
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!)
}

/** Formats milliseconds for people: 0.4ms, 12ms, 1.5s, 2m 3s. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(1)}ms`
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`
  const m = Math.floor(ms / 60_000)
  return `${m}m ${Math.round((ms % 60_000) / 1000)}s`
}
