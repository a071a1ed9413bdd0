/**
 * One job for the TUI's detail screen, as lines of coloured segments wrapped to the width:
 * state, times, payload, result or error with its stack, every attempt, children.
 */
import type { JobJSON, JobState } from '../broker/types.js'
import type { Color, Seg } from './panels.js'
import { progressBar } from './text.js'

export type Line = Seg[]

export const STATE_COLORS: Record<JobState, Color> = {
  scheduled: 'gray',
  queued: 'blue',
  active: 'cyan',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'yellow',
  expired: 'yellow',
}

const LABEL = 10

/** Splits text into lines of at most `width` characters, at a space when one is near the end. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width)
  const out: string[] = []
  for (const raw of text.split('\n')) {
    let chars = [...raw.replace(/\t/g, '  ')]
    if (chars.length === 0) out.push('')
    while (chars.length > 0) {
      let cut = Math.min(w, chars.length)
      if (cut < chars.length) {
        const space = chars.lastIndexOf(' ', w)
        if (space > w / 2) cut = space + 1
      }
      out.push(chars.slice(0, cut).join('').trimEnd())
      chars = chars.slice(cut)
    }
  }
  return out
}

export function jobLines(job: JobJSON, children: readonly JobJSON[], width: number): Line[] {
  const lines: Line[] = []
  const body = Math.max(10, width - LABEL - 1)
  /** A labelled field; long or multi-line values continue under the value column. */
  const field = (label: string, value: string, color?: Color) => {
    wrap(value, body).forEach((part, i) => lines.push([{ text: (i === 0 ? label : '').padEnd(LABEL), color: 'gray' }, { text: part, color }]))
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
  if (job.progress != null) field('progress', progressBar(job.progress, Math.min(40, body)), 'cyan')
  field('payload', json(job.payload))
  if (job.state === 'succeeded') field('result', json(job.result), 'green')
  if (job.error) {
    const head = `${job.error.name ?? 'Error'}: ${job.error.message}`
    field('error', head, 'red')
    // The stack starts with the message (which may span lines); keep only the frames after it.
    const raw = job.error.stack ?? ''
    const frames = raw.startsWith(head) ? raw.slice(head.length) : raw.split('\n').slice(1).join('\n')
    const stack = frames.split('\n').map((l) => l.trim()).filter(Boolean)
    if (stack.length) field('', stack.join('\n'), 'gray')
  }
  if (job.errors.length > 0) {
    lines.push([{ text: `attempts (${job.errors.length} failed)`, color: 'gray' }])
    for (const e of job.errors) {
      const head = `#${e.attempt ?? '?'} ${e.at ?? ''}`.trim()
      wrap(`${e.name ?? 'Error'}: ${e.message.split('\n')[0]}`, Math.max(10, width - head.length - 3)).forEach((part, i) =>
        lines.push([{ text: `  ${i === 0 ? head : ' '.repeat(head.length)} `, color: 'gray' }, { text: part, color: 'red' }]),
      )
    }
  }
  if (children.length > 0) {
    lines.push([{ text: `children (${children.length})`, color: 'gray' }])
    for (const ch of children) {
      lines.push([{ text: `  ${ch.id}  ` }, { text: ch.state.padEnd(10), color: STATE_COLORS[ch.state] }, { text: ch.task }])
    }
  }
  return lines
}
