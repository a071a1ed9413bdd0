import type { TqEvent } from '../broker/types.js'
import { formatMs } from '../util/duration.js'
import type { Colors } from './colors.js'
import { logTime } from './clock.js'
import { safeText as safe } from './safe-text.js'
import { shortId as short } from './short-id.js'

/** A live event as one NDJSON line: the event as sent, its time as ISO text. */
export function liveEventToJson(e: TqEvent): string {
  return JSON.stringify({ ...e, at: new Date(e.at).toISOString() })
}

const MARKS: Record<TqEvent['type'], (c: Colors) => string> = {
  enqueued: (c) => c.gray('+'),
  started: (c) => c.blue('▶'),
  progress: (c) => c.gray('…'),
  retried: (c) => c.yellow('↻'),
  succeeded: (c) => c.green('✓'),
  failed: (c) => c.red('✗'),
  cancelled: (c) => c.yellow('⊘'),
  expired: (c) => c.yellow('⌛'),
  'worker-online': (c) => c.green('●'),
  'worker-offline': (c) => c.gray('○'),
}

/** A live event as one line for people; every text from jobs is made safe for a terminal. */
export function formatLiveEvent(e: TqEvent, c: Colors): string {
  const mark = (MARKS[e.type] ?? (() => '?'))(c)
  const head = `${c.gray(logTime(e.at))} ${mark} ${safe(e.type).padEnd(9)}`
  if (e.type === 'worker-online' || e.type === 'worker-offline') {
    return `${head} worker ${safe(e.worker ?? '?')}${e.host ? c.gray(` on ${safe(e.host)} pid ${e.pid}`) : ''}`
  }
  const who = `${c.bold(safe(e.task ?? '?'))} ${c.gray(safe(short(e.id ?? '?')))}${e.queue ? c.gray(` [${safe(e.queue)}]`) : ''}`
  const attempt = e.attempt && e.attempt > 1 ? c.gray(` attempt ${e.attempt}`) : ''
  const ms = e.ms !== undefined ? ` ${c.gray(formatMs(e.ms))}` : ''
  const error = e.error ? ` ${c.red(safe(`${e.error.name ?? 'Error'}: ${String(e.error.message).split('\n')[0]!.slice(0, 500)}`))}` : ''
  const retry = e.retryAt !== undefined ? c.yellow(` (next attempt at ${logTime(e.retryAt)})`) : ''
  const progress = e.type === 'progress' ? ` ${safe(JSON.stringify(e.progress ?? null).slice(0, 200))}` : ''
  return `${head} ${who}${attempt}${ms}${progress}${error}${retry}`
}
