import type { JobJSON, JobState } from '../broker/types.js'
import type { Colors } from './colors.js'
import { lastError } from './last-error.js'
import { safeText, visibleLength } from './safe-text.js'

export function stateColor(state: JobState, c: Colors): (s: string) => string {
  switch (state) {
    case 'succeeded':
      return c.green
    case 'failed':
      return c.red
    case 'active':
      return c.cyan
    case 'cancelled':
    case 'expired':
      return c.yellow
    default:
      return c.gray
  }
}

/** Pads visible text (colour codes excluded) to a width. */
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visibleLength(s)))

/** The first line of an error message, cut for a table cell (cut first: a message may be megabytes). */
const errorCell = (message: string) => safeText(message.slice(0, 200).split('\n')[0]!.slice(0, 60))

/**
 * A plain table of jobs: id, state, task, queue, attempt, created, and the first line of the
 * error the job's latest outcome ended with (see lastError).
 */
export function jobsTable(jobs: readonly JobJSON[], c: Colors): string {
  if (jobs.length === 0) return c.gray('no jobs')
  const rows = jobs.map((j) => {
    const error = lastError(j)
    return [
      safeText(j.id),
      stateColor(j.state, c)(j.state),
      safeText(j.task),
      safeText(j.queue),
      `${j.attempt}/${j.maxAttempts}`,
      j.createdAt.replace('T', ' ').slice(0, 19),
      error ? c.red(errorCell(error.message)) : '',
    ]
  })
  const head = ['ID', 'STATE', 'TASK', 'QUEUE', 'TRY', 'CREATED', 'ERROR']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]!))))
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ').trimEnd()
  return [c.bold(line(head)), ...rows.map(line)].join('\n')
}
