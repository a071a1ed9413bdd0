import { formatMs } from '../util/duration.js'
import type { ReapedWorker } from '../broker/types.js'
import type { EngineEvent } from '../worker/engine.js'
import type { Colors } from './colors.js'
import { safeText as safe } from './safe-text.js'
import { shortId as short } from './short-id.js'
import { logTime } from './clock.js'

/** One compact line per job event, for `tq worker` and `tq dev`; job text is made safe for a terminal. */
export function formatEvent(e: EngineEvent, c: Colors): string {
  const who = `${c.bold(safe(e.job.task))} ${c.gray(safe(short(e.job.id)))}`
  const attempt = e.type !== 'expired' && e.job.attempt > 1 ? c.gray(` attempt ${e.job.attempt}/${e.job.maxAttempts}`) : ''
  // A workflow's steps say which workflow they belong to, so a chain reads as it runs.
  const workflow = e.type !== 'expired' && e.job.workflowId ? c.gray(` workflow ${safe(short(e.job.workflowId))}`) : ''
  switch (e.type) {
    case 'started':
      return `${c.gray(logTime())} ${c.blue('▶')} ${who}${attempt}${workflow}`
    case 'succeeded':
      return `${c.gray(logTime())} ${c.green('✓')} ${who} ${c.gray(formatMs(e.ms))}`
    case 'failed': {
      const retry = e.retryInMs === undefined ? '' : c.yellow(e.retryInMs < 1 ? ' (retrying now)' : ` (retry in ${formatMs(e.retryInMs)})`)
      const mark = e.error.name === 'CancelledError' ? c.yellow('⊘') : c.red('✗')
      return `${c.gray(logTime())} ${mark} ${who} ${c.gray(formatMs(e.ms))} ${c.red(safe(`${e.error.name ?? 'Error'}: ${e.error.message.slice(0, 10_000).split('\n')[0]}`))}${retry}`
    }
    case 'released':
      return `${c.gray(logTime())} ${c.yellow('↺')} ${who} released to the queue: ${safe(e.reason)}`
    case 'rejected':
      return `${c.gray(logTime())} ${c.yellow('!')} ${who} result ignored: ${safe(e.reason)}`
    case 'rate-limited':
      return `${c.gray(logTime())} ${c.gray('…')} ${who} ${c.gray(`rate limited until ${logTime(e.runAt)}`)}`
    case 'log':
      return `${c.gray(logTime())} ${c.gray('│')} ${who} ${safe(e.line, { multiline: true })}`
    case 'blocked':
      return `${c.gray(logTime())} ${c.yellow('⏳')} ${who} has blocked its thread for ${formatMs(e.ms)} and has no timeout (set one, or ownThread: true for CPU-heavy work)`
    case 'progress':
      return `${c.gray(logTime())} ${c.gray('…')} ${who} progress ${safe(e.value.slice(0, 200))}`
    case 'expired':
      return `${c.gray(logTime())} ${c.yellow('⌛')} ${who} expired before it started`
  }
}

/** The same events as one JSON object per line, for tools. */
export function eventToJson(e: EngineEvent): string {
  const base = { time: new Date().toISOString(), event: e.type, id: e.job.id, task: e.job.task, queue: e.job.queue, attempt: e.type === 'expired' ? 0 : e.job.attempt, ...(e.type !== 'expired' && e.job.workflowId ? { workflowId: e.job.workflowId } : {}) }
  switch (e.type) {
    case 'succeeded':
      return JSON.stringify({ ...base, ms: +e.ms.toFixed(2) })
    case 'failed':
      return JSON.stringify({ ...base, ms: +e.ms.toFixed(2), error: { name: e.error.name, message: e.error.message }, retryInMs: e.retryInMs ?? null })
    case 'released':
    case 'rejected':
      return JSON.stringify({ ...base, reason: e.reason })
    case 'log':
      return JSON.stringify({ ...base, line: e.line })
    case 'rate-limited':
      return JSON.stringify({ ...base, runAt: new Date(e.runAt).toISOString() })
    case 'blocked':
      return JSON.stringify({ ...base, ms: Math.round(e.ms) })
    case 'progress':
      return JSON.stringify({ ...base, progress: JSON.parse(e.value) as unknown })
    default:
      return JSON.stringify(base)
  }
}

/** A worker found dead by this one: which, and how many of its running jobs went back. */
export function formatWorkerLost(lost: ReapedWorker, c: Colors): string {
  const w = lost.worker
  return `${c.gray(logTime())} ${c.yellow('⚠')} worker ${safe(`${w.host}:${w.pid}`)} ${c.gray(safe(w.id))} stopped heartbeating; ${lost.requeued} running job(s) put back on the queue`
}

export function workerLostToJson(lost: ReapedWorker): string {
  const w = lost.worker
  return JSON.stringify({ time: new Date().toISOString(), event: 'worker-lost', worker: w.id, host: w.host, pid: w.pid, requeued: lost.requeued })
}
