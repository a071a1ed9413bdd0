/**
 * One job for the TUI's detail screen, as lines of coloured segments wrapped to the width:
 * state, times, payload, result or error with its stack, every attempt, children.
 */
import type { JobJSON, JobState } from '../broker/types.js'
import type { Color, Seg } from './panels.js'
import { progressBar } from './text.js'
import { lastError } from '../format/last-error.js'

export type Line = Seg[]

export const STATE_COLORS: Record<JobState, Color> = {
  waiting: 'gray',
  scheduled: 'gray',
  queued: 'blue',
  active: 'cyan',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'yellow',
  expired: 'yellow',
}

const LABEL = 10

/**
 * Most wrapped lines one field shows for people: enough for any payload meant to be read, and it
 * keeps `tq job` and the TUI quick on a payload of megabytes (`--json` prints everything).
 */
export const MAX_FIELD_LINES = 40
/** Most wrapped lines of one attempt's error message in the attempts list. */
const MAX_ATTEMPT_LINES = 3

export interface Wrapped {
  lines: string[]
  /** Characters (UTF-16 units) of the text left out after `maxLines`; 0 when all of it shows. */
  omitted: number
}

/**
 * Splits text into lines of at most `width` characters, at a space when one is near the end,
 * stopping after `maxLines`. One pass that reads only what it shows, so a 10 MB line costs the
 * same as a short one (cutting the rest off with `slice` on each line made it quadratic).
 */
export function wrapClipped(text: string, width: number, maxLines = Infinity): Wrapped {
  const w = Math.max(1, width)
  const out: string[] = []
  let pos = 0
  while (pos <= text.length && out.length < maxLines) {
    let nl = text.indexOf('\n', pos)
    if (nl < 0) nl = text.length
    // Read only what the lines left can show: each takes at most w + 1 characters, of at most
    // two UTF-16 units each.
    const need = (maxLines - out.length) * (w + 1) + 1
    const end = Math.min(nl, pos + 2 * need)
    const chars: string[] = []
    /** Source units behind each char: a tab prints as two spaces, the second from no unit. */
    const units: number[] = []
    for (const ch of text.slice(pos, end)) {
      if (ch === '\t') chars.push(' ', ' '), units.push(1, 0)
      else chars.push(ch), units.push(ch.length)
    }
    if (chars.length === 0) out.push('')
    let i = 0
    while (i < chars.length && out.length < maxLines) {
      let cut = Math.min(w, chars.length - i)
      if (cut < chars.length - i) {
        const space = chars.lastIndexOf(' ', i + w) - i
        if (space > w / 2) cut = space + 1
      }
      out.push(chars.slice(i, i + cut).join('').trimEnd())
      i += cut
    }
    if (i >= chars.length && end === nl) pos = nl + 1
    else for (let k = 0; k < i; k++) pos += units[k]!
  }
  return { lines: out, omitted: Math.max(0, text.length - pos) }
}

/** Splits text into lines of at most `width` characters, at a space when one is near the end. */
export function wrap(text: string, width: number): string[] {
  return wrapClipped(text, width).lines
}

/**
 * Names failed attempts truthfully: `tq retry` gives a fresh attempt budget, so attempt numbers
 * start again at 1 and "#1" alone would name two different attempts. Each failure is numbered in
 * order; after a retry its label also says which retry it belongs to: `#3 retry 1, attempt 1`.
 */
export function attemptLabels(errors: readonly { attempt?: number }[]): string[] {
  let retries = 0
  let previous = 0
  return errors.map((e, i) => {
    const attempt = e.attempt ?? 0
    if (i > 0 && attempt > 0 && attempt <= previous) retries++
    if (attempt > 0) previous = attempt
    const which = attempt > 0 ? `attempt ${attempt}` : 'attempt ?'
    return `#${i + 1} ${retries > 0 ? `retry ${retries}, ` : ''}${which}`
  })
}

/** What stands in for the rest of a value cut for people. */
function cutNote(omitted: number, id: string): string {
  return `… ${omitted.toLocaleString('en-US')} more characters (tq job ${id} --json prints everything)`
}

export function jobLines(job: JobJSON, children: readonly JobJSON[], width: number): Line[] {
  const lines: Line[] = []
  const body = Math.max(10, width - LABEL - 1)
  /** A labelled field; long or multi-line values continue under the value column. */
  const field = (label: string, value: string, color?: Color) => {
    const { lines: parts, omitted } = wrapClipped(value, body, MAX_FIELD_LINES)
    parts.forEach((part, i) => lines.push([{ text: (i === 0 ? label : '').padEnd(LABEL), color: 'gray' }, { text: part, color }]))
    if (omitted > 0) for (const part of wrap(cutNote(omitted, job.id), body)) lines.push([{ text: ''.padEnd(LABEL) }, { text: part, color: 'yellow' }])
  }
  const json = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v, null, 2))

  lines.push([{ text: job.task, bold: true }, { text: `  ${job.id}`, color: 'gray' }])
  lines.push([
    { text: 'state'.padEnd(LABEL), color: 'gray' },
    { text: job.state, color: STATE_COLORS[job.state], bold: true },
    { text: `   attempt ${job.attempt}/${job.maxAttempts}   queue ${job.queue}   priority ${job.priority}` },
  ])
  field('created', job.createdAt)
  field('run at', job.runAt)
  if (job.startedAt) field('started', job.startedAt)
  if (job.finishedAt) field('finished', job.finishedAt)
  if (job.key) field('key', job.key)
  if (job.parentId) field('parent', job.parentId)
  if (job.workflowId && job.workflowId !== job.id) field('workflow', job.workflowId)
  if (job.progress != null) field('progress', progressBar(job.progress, Math.min(40, body)), 'cyan')
  field('payload', json(job.payload))
  if (job.state === 'succeeded') field('result', json(job.result), 'green')
  // A job that succeeded after failing keeps the old error: it shows under attempts only.
  const error = lastError(job)
  if (error) {
    const head = `${error.name ?? 'Error'}: ${error.message}`
    field('error', head, 'red')
    // The stack starts with the message (which may span lines); keep only the frames after it.
    const raw = error.stack ?? ''
    const frames = raw.startsWith(head) ? raw.slice(head.length) : raw.split('\n').slice(1).join('\n')
    const stack = frames.split('\n').map((l) => l.trim()).filter(Boolean)
    if (stack.length) field('', stack.join('\n'), 'gray')
  }
  if (job.errors.length > 0) {
    lines.push([{ text: `attempts (${job.errors.length} failed)`, color: 'gray' }])
    const labels = attemptLabels(job.errors)
    job.errors.forEach((e, n) => {
      const head = `${labels[n]} ${e.at ?? ''}`.trim()
      const message = `${e.name ?? 'Error'}: ${e.message.slice(0, 10_000).split('\n')[0]}`
      const { lines: parts, omitted } = wrapClipped(message, Math.max(10, width - head.length - 3), MAX_ATTEMPT_LINES)
      if (omitted > 0) parts[parts.length - 1] += ' …'
      parts.forEach((part, i) => lines.push([{ text: `  ${i === 0 ? head : ' '.repeat(head.length)} `, color: 'gray' }, { text: part, color: 'red' }]))
    })
  }
  if (children.length > 0) {
    lines.push([{ text: `children (${children.length})`, color: 'gray' }])
    for (const ch of children) {
      lines.push([{ text: `  ${ch.id}  ` }, { text: ch.state.padEnd(10), color: STATE_COLORS[ch.state] }, { text: ch.task }])
    }
  }
  return lines
}
