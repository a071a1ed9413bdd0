import type { JobJSON } from '../broker/types.js'
import { jobLines } from './job-lines.js'
import { workflowLines } from './workflow-lines.js'
import type { Seg } from './panels.js'
import type { Colors } from '../format/colors.js'
import { safeText } from '../format/safe-text.js'

/** One coloured segment as ANSI text; a segment is one line, so any control character is made visible. */
function paint(seg: Seg, c: Colors): string {
  const safe = safeText(seg.text)
  let text = seg.color ? c[seg.color](safe) : safe
  if (seg.bold) text = c.bold(text)
  if (seg.dim) text = c.dim(text)
  return text
}

/**
 * A job for people (`tq job`): the same lines as the status TUI's detail screen (state, times,
 * payload, result or error with its stack, every attempt, children), printed once.
 */
export function jobDetail(job: JobJSON, children: readonly JobJSON[], c: Colors, width = process.stdout.columns || 100, workflow: readonly JobJSON[] = []): string {
  const graph = workflow.length > 0 ? [[], ...workflowLines(workflow, job.id)] : []
  return [...jobLines(job, children, width), ...graph]
    .map((line) => line.map((seg) => paint(seg, c)).join('').trimEnd())
    .join('\n')
}
