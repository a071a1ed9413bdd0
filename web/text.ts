/**
 * Text from jobs (names, payloads, errors, stacks) is untrusted. Preact renders it as text nodes,
 * never markup; on top of that, control characters are shown as visible symbols (ESC as ␛), as
 * the CLI shows them, so a job cannot make text look other than it is.
 */
import { safeText } from '../src/format/safe-text.js'

/** One line of job text, every control character made visible (the CLI's own rule). */
export function visible(text: unknown): string {
  return safeText(String(text ?? ''))
}

/** A block (a stack, JSON): line breaks kept, other control characters made visible. */
export function visibleBlock(text: unknown): string {
  return safeText(String(text ?? ''), { multiline: true })
}

/** A value as indented JSON (JSON escapes control characters inside strings itself). */
export function json(value: unknown): string {
  return value === undefined ? 'undefined' : visibleBlock(JSON.stringify(value, null, 2))
}

/** The last 8 characters of an id, as tq prints short ids; schedule slots keep their time. */
export function shortId(id: string): string {
  const slot = /T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(id)
  if (id.startsWith('schedule:') && slot) return `@${slot[1]}${slot[2] && slot[2] !== '.000' ? slot[2] : ''}`
  return id.length > 8 ? id.slice(-8) : id
}

/** `3s`, `4m 10s`, `2h 5m`, `3d 4h`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h ${m % 60}m`
  return `${Math.floor(h / 24)}d ${h % 24}h`
}

/** `12s ago` / `in 3m 2s` for an ISO time. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—'
  const d = Date.parse(iso) - now
  return d > 0 ? `in ${duration(d)}` : `${duration(-d)} ago`
}

/** A local time with the date when it is not today: `14:03:22` or `2026-11-30 14:03:22`. */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '—'
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return d.toDateString() === new Date().toDateString() ? time : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

export function bytes(n: number | undefined): string {
  return n === undefined ? '?' : `${Math.round(n / 1048576)} MB`
}

/** A progress value as a fraction 0..1 when it is one (a number 0..1, or 0..100), else null. */
export function fraction(p: unknown): number | null {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) return null
  if (p <= 1) return p
  if (p <= 100) return p / 100
  return null
}
