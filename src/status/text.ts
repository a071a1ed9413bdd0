/**
 * Small pure text helpers shared by the TUI and the plain-text summary: numbers, durations,
 * sparklines, progress bars, cell padding. No colours here; callers add them.
 */

/** A count in at most 5 characters: 1234, 99999, 123k, 1.2M. */
export function compact(n: number): string {
  if (n < 100_000) return String(n)
  if (n < 1_000_000) return `${Math.floor(n / 1000)}k`
  if (n < 10_000_000) return `${(Math.floor(n / 100_000) / 10).toFixed(1)}M`
  if (n < 1_000_000_000) return `${Math.floor(n / 1_000_000)}M`
  return `${(Math.floor(n / 100_000_000) / 10).toFixed(1)}G`
}

/** A rate with one decimal below 100: 0, 0.4, 12.5, 340. */
export function rate(n: number): string {
  if (n === 0) return '0'
  return n < 100 ? n.toFixed(1).replace(/\.0$/, '') : String(Math.round(n))
}

/** A coarse age: 0s, 12s, 3m, 5h, 2d. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86_400)}d`
}

/** An elapsed time, precise while short: 0.4s, 12s, 3m04s, 1h02m, 2d03h. */
export function elapsed(ms: number): string {
  const s = Math.max(0, ms / 1000)
  if (s < 10) return `${s.toFixed(1)}s`
  if (s < 60) return `${Math.floor(s)}s`
  const t = Math.floor(s)
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`
  if (t < 86_400) return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`
  return `${Math.floor(t / 86_400)}d${String(Math.floor((t % 86_400) / 3600)).padStart(2, '0')}h`
}

/** Time until an instant, or since it when past: "in 3m", "now", "5s ago". */
export function until(ms: number): string {
  if (Math.abs(ms) < 1000) return 'now'
  return ms > 0 ? `in ${ago(ms)}` : `${ago(-ms)} ago`
}

const BARS = '▁▂▃▄▅▆▇█'

/**
 * A sparkline of the whole series in at most `width` characters: when the series is longer,
 * neighbouring values are averaged (60 seconds in 30 characters: one bar per 2 s). Zero is the
 * lowest bar, the maximum the highest.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0 || values.length === 0) return ''
  const per = Math.ceil(values.length / width)
  const buckets: number[] = []
  // Buckets end at the newest value, so the last bar is always the current second.
  for (let end = values.length; end > 0; end -= per) {
    const part = values.slice(Math.max(0, end - per), end)
    buckets.unshift(part.reduce((a, b) => a + b, 0) / part.length)
  }
  const max = Math.max(0, ...buckets)
  return buckets.map((v) => (v <= 0 || max === 0 ? BARS[0] : BARS[1 + Math.min(6, Math.floor((v / max) * 7 - 1e-9))])).join('')
}

/**
 * Progress as a fraction 0..1 when it is a number (0..1, or a percentage 0..100), else null.
 * Also accepts `{ percent }` and `{ current|done, total }` objects, common shapes for progress.
 */
export function progressFraction(p: unknown): number | null {
  if (typeof p === 'number' && Number.isFinite(p)) {
    if (p < 0) return 0
    if (p <= 1) return p
    return Math.min(1, p / 100)
  }
  if (p && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>
    if (typeof o.percent === 'number') return progressFraction(o.percent > 1 ? o.percent : o.percent * 100)
    const done = typeof o.current === 'number' ? o.current : o.done
    if (typeof done === 'number' && typeof o.total === 'number' && o.total > 0) return Math.max(0, Math.min(1, done / o.total))
  }
  return null
}

/** A progress bar `█████░░░░░  50%` in `width` characters, or the value itself when not a number. */
export function progressBar(p: unknown, width: number): string {
  if (p === null || p === undefined) return ''
  const f = progressFraction(p)
  if (f === null) return truncate(typeof p === 'string' ? p : JSON.stringify(p), width)
  const pct = `${Math.floor(f * 100)}%`.padStart(5)
  const barWidth = Math.max(0, width - pct.length)
  const filled = Math.round(f * barWidth)
  return '█'.repeat(filled) + '░'.repeat(barWidth - filled) + pct
}

/** Cuts to `width` characters, marking the cut with an ellipsis. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return ''
  const chars = [...s]
  return chars.length <= width ? s : chars.slice(0, Math.max(0, width - 1)).join('') + '…'
}

/** Pads or cuts to exactly `width` characters (left aligned; right aligned with `right`). */
export function cell(s: string, width: number, right = false): string {
  const t = truncate(s, width)
  const pad = ' '.repeat(Math.max(0, width - [...t].length))
  return right ? pad + t : t + pad
}

/** First line of a message, whitespace squeezed. */
export function firstLine(s: string): string {
  // Cut before splitting: a message may be megabytes and only a screen's width of it shows.
  return (s.slice(0, 1000).split('\n')[0] ?? '').replace(/\s+/g, ' ').trim()
}

export { shortId } from '../format/short-id.js'
