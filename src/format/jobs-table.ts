import type { JobJSON, JobState } from '../broker/types.js'
import type { Colors } from './colors.js'

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
const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - s.replace(/\x1b\[[0-9;]*m/g, '').length))

/** A plain table of jobs: id, state, task, queue, attempt, created, and the error's first line. */
export function jobsTable(jobs: readonly JobJSON[], c: Colors): string {
  if (jobs.length === 0) return c.gray('no jobs')
  const rows = jobs.map((j) => [
    j.id,
    stateColor(j.state, c)(j.state),
    j.task,
    j.queue,
    `${j.attempt}/${j.maxAttempts}`,
    j.createdAt.replace('T', ' ').slice(0, 19),
    j.error ? c.red(j.error.message.split('\n')[0]!.slice(0, 60)) : '',
  ])
  const head = ['ID', 'STATE', 'TASK', 'QUEUE', 'TRY', 'CREATED', 'ERROR']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.replace(/\x1b\[[0-9;]*m/g, '').length)))
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ').trimEnd()
  return [c.bold(line(head)), ...rows.map(line)].join('\n')
}
