import { UsageError } from '../errors.js'

const PER: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000 }

/** `'20/s'`, `'100/m'`, `'1000/h'` → the spacing between starts, in ms. */
export function rateInterval(rate: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|sec|m|min|h|hour)\s*$/.exec(rate)
  if (!m || Number(m[1]) <= 0) throw new UsageError(`invalid rate limit "${rate}"`, "use a count per unit, like '20/s', '100/m' or '1000/h'")
  return PER[m[2]!]! / Number(m[1])
}
