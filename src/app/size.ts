import { UsageError } from '../errors.js'

/** A size in bytes: a number, or a string like `'512kb'`, `'1mb'` (units of 1024). */
export type Size = number | string

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }

/**
 * The default `maxPayload`. Payloads are stored in the job row and copied on every claim; anything
 * larger than this belongs in a file or object store, with its URL in the payload.
 */
export const DEFAULT_MAX_PAYLOAD = 1024 ** 2

/** Converts a Size to bytes; throws a UsageError naming the bad value. */
export function toBytes(value: Size, what = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`invalid ${what} ${value}`, "use a whole number of bytes of at least 1, or a size like '512kb' or '1mb'")
    return value
  }
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value) : null
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!) : NaN
  if (!(bytes >= 1)) throw new UsageError(`invalid ${what} ${JSON.stringify(value)}`, "use a size like '512kb' or '1mb', or a number of bytes")
  return bytes
}

/** Bytes for people: 512 B, 1.5 KB, 2.0 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`
  return `${(n / 1024 ** 3).toFixed(1)} GB`
}
