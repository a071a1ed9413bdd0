import type { Colors } from '../format/colors.js'
import { safeText as safe, visibleLength as visible } from '../format/safe-text.js'
import type { StatusSnapshot } from './snapshot.js'
import { shortIds } from '../format/short-id.js'
import { ago, elapsed, firstLine, progressBar, rate, until } from './text.js'

const COLUMNS = [
  ['scheduled', 'scheduled'],
  ['queued', 'queued'],
  ['active', 'active'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
  ['expired', 'expired'],
] as const

const padEnd = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - visible(s)))
const padStart = (s: string, w: number) => ' '.repeat(Math.max(0, w - visible(s))) + s

/**
 * `tq status` when stdout is not a terminal and `--json` is absent: the snapshot as plain text,
 * one section per panel, full numbers, nothing cut to a screen width.
 */
export function statusSummary(s: StatusSnapshot, c: Colors): string {
  const now = Date.parse(s.time)
  const out: string[] = []
  out.push(`${c.bold('tq status')}  ${safe(s.broker)}  ${s.time}`)

  out.push('')
  if (s.queues.length === 0) out.push(c.gray('no queues yet'))
  else {
    // Workflow steps waiting for others: a column only while some exist.
    const columns = s.queues.some((q) => q.counts.waiting > 0) ? [['waiting', 'waiting'] as const, ...COLUMNS] : COLUMNS
    const head = ['QUEUE', ...columns.map(([, h]) => h.toUpperCase()), 'JOBS/S']
    const rows = s.queues.map((q) => [
      safe(q.queue) + (q.paused ? ` ${c.yellow('(paused)')}` : ''),
      ...columns.map(([k]) => String(q.counts[k])),
      rate(q.perSecond),
    ])
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i]!))))
    const line = (cells: string[]) => cells.map((v, i) => (i === 0 ? padEnd(v, widths[i]!) : padStart(v, widths[i]!))).join('  ')
    out.push(c.bold(line(head)), ...rows.map(line))
  }

  out.push('', c.bold(`WORKERS (${s.workers.filter((w) => w.alive).length} alive)`))
  if (s.workers.length === 0) out.push(c.gray('  none (start one with tq worker or tq dev)'))
  for (const w of s.workers) {
    const beat = ago(now - Date.parse(w.lastBeatAt))
    const text = `  ${safe(w.host)}:${w.pid}  busy ${w.busy}/${w.concurrency}  beat ${beat} ago  up ${ago(now - Date.parse(w.startedAt))}  queues ${safe(w.queues.join(','))}`
    out.push(w.alive ? text : c.dim(`${text}  dead`))
    for (const b of w.blocked ?? []) out.push(c.yellow(`    ⏳ ${safe(b.task)} ${safe(b.id)} has blocked a task thread for ${ago(now - Date.parse(b.since))} (no timeout set)`))
  }

  out.push('', c.bold(`RUNNING (${s.running.length})`))
  if (s.running.length === 0) out.push(c.gray('  none'))
  const short = shortIds([...s.running, ...s.failures].map((j) => j.id))
  for (const j of s.running) {
    const progress = j.progress == null ? '' : `  ${progressBar(j.progress, 20)}`
    out.push(`  ${safe(j.task)}  ${c.gray(safe(short.get(j.id)!))}  ${elapsed(j.elapsedMs)}${safe(progress)}`)
  }

  out.push('', c.bold(`RECENT FAILURES (${s.failures.length})`))
  if (s.failures.length === 0) out.push(c.gray('  none'))
  for (const j of s.failures) {
    const when = j.finishedAt ? `${ago(now - Date.parse(j.finishedAt))} ago` : ''
    const err = j.error ? c.red(safe(`${j.error.name}: ${firstLine(j.error.message)}`)) : ''
    out.push(`  ${safe(j.task)}  ${c.gray(safe(short.get(j.id)!))}  ${when}  ${err}`)
  }

  out.push('', c.bold(`SCHEDULES (${s.schedules.length})`))
  if (s.schedules.length === 0) out.push(c.gray('  none'))
  for (const sc of s.schedules) {
    const next = sc.nextAt ? `next ${sc.nextAt} (${until(Date.parse(sc.nextAt) - now)})` : 'next unknown'
    out.push(`  ${safe(sc.name)} → ${safe(sc.task)}  ${safe(sc.expression)} ${c.gray(safe(sc.tz))}  ${next}`)
  }
  return out.join('\n')
}
