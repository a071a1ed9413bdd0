/**
 * What each panel of the live view shows, as plain rows of coloured segments cut to the screen
 * width. Pure (no ink, no React), so the TUI stays a thin renderer and this is testable alone.
 */
import type { JobState } from '../broker/types.js'
import type { StatusSnapshot } from './snapshot.js'
import { shortIds } from '../format/short-id.js'
import { ago, cell, compact, elapsed, firstLine, progressBar, rate, sparkline, truncate, until } from './text.js'

export type PanelId = 'queues' | 'workers' | 'running' | 'failures' | 'schedules'
/** Top to bottom on screen; tab and the arrows move through them in this order. */
export const PANELS: readonly PanelId[] = ['queues', 'workers', 'running', 'failures', 'schedules']

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray'
export interface Seg {
  text: string
  color?: Color
  bold?: boolean
  dim?: boolean
}
export interface Row {
  /** Stable identity across refreshes: queue name, worker id, job id, schedule name. */
  key: string
  /** Exactly `width - 1` characters in all (the first column is the selection marker). */
  segs: Seg[]
  dim?: boolean
}
export interface PanelModel {
  id: PanelId
  /** E.g. `QUEUES 3`; drawn in the first column of the title line. */
  title: string
  /** Width of the first column, which the title shares. */
  titleWidth: number
  /** Column headings after the first column. */
  header: Seg[]
  rows: Row[]
  /** Shown when there are no rows. */
  empty: string
}

const COUNT_COLUMNS: readonly { state: JobState; label: string; color?: Color; optional?: boolean; onlyWhenSome?: boolean }[] = [
  // Workflow steps waiting for others: shown only while some exist.
  { state: 'waiting', label: 'wait', onlyWhenSome: true },
  { state: 'scheduled', label: 'sched' },
  { state: 'queued', label: 'queued' },
  { state: 'active', label: 'active', color: 'cyan' },
  { state: 'succeeded', label: 'ok', color: 'green' },
  { state: 'failed', label: 'failed', color: 'red' },
  { state: 'cancelled', label: 'cancel', color: 'yellow', optional: true },
  { state: 'expired', label: 'expired', color: 'yellow', optional: true },
]

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n))
const len = (s: string) => [...s].length
const gray = (text: string): Seg => ({ text, color: 'gray' })

/** Keeps the running jobs, failures and schedules whose task contains `filter` (any case). */
export function applyFilter(s: StatusSnapshot, filter: string): StatusSnapshot {
  const f = filter.trim().toLowerCase()
  if (!f) return s
  const hit = (task: string) => task.toLowerCase().includes(f)
  return { ...s, running: s.running.filter((j) => hit(j.task)), failures: s.failures.filter((j) => hit(j.task)), schedules: s.schedules.filter((x) => hit(x.task)) }
}

/** Every panel's rows for a screen `width` columns wide. */
export function buildPanels(s: StatusSnapshot, width: number): Record<PanelId, PanelModel> {
  const now = Date.parse(s.time)
  const w = Math.max(40, width) - 1 // the selection marker takes one column
  return {
    queues: queuesPanel(s, w),
    workers: workersPanel(s, w, now),
    running: runningPanel(s, w),
    failures: failuresPanel(s, w, now),
    schedules: schedulesPanel(s, w, now),
  }
}

function queuesPanel(s: StatusSnapshot, w: number): PanelModel {
  const title = `QUEUES ${s.queues.length}`
  // Cancelled and expired give way to the sparkline on narrow screens while they are all zero.
  const some = (c: (typeof COUNT_COLUMNS)[number]) => s.queues.some((q) => q.counts[c.state] > 0)
  const cols = COUNT_COLUMNS.filter((c) => (c.onlyWhenSome ? some(c) : !c.optional || w >= 99 || some(c)))
  const colW = (label: string) => Math.max(7, label.length + 1)
  const countsW = cols.reduce((a, c) => a + colW(c.label), 0)
  const rateW = 7
  const nameW = clamp(Math.max(len(title) + 1, ...s.queues.map((q) => len(q.queue) + (q.paused ? 8 : 0) + 1)), 10, 26)
  const sparkW = Math.max(0, w - nameW - countsW - rateW - 2)
  const header: Seg[] = [
    gray(cols.map((c) => cell(c.label, colW(c.label), true)).join('') + cell('jobs/s', rateW, true) + '  ' + cell(sparkW >= 10 ? 'last 60s' : '', sparkW)),
  ]
  const rows: Row[] = s.queues.map((q) => {
    const label = q.paused ? ' paused' : ''
    const shown = truncate(q.queue, nameW - label.length - 1)
    const name: Seg[] = [{ text: shown, bold: true }, { text: label, color: 'yellow' }, { text: ' '.repeat(nameW - len(shown) - label.length) }]
    return {
      key: q.queue,
      segs: [
        ...name,
        ...cols.map((c): Seg => {
          const n = q.counts[c.state]
          return { text: cell(compact(n), colW(c.label), true), color: n > 0 ? c.color : 'gray' }
        }),
        { text: cell(rate(q.perSecond), rateW, true) },
        { text: '  ' },
        { text: cell(sparkline(q.throughput, sparkW), sparkW), color: 'cyan' },
      ],
    }
  })
  return { id: 'queues', title, titleWidth: nameW, header, rows, empty: 'no queues yet: enqueue a job or start a worker' }
}

function workersPanel(s: StatusSnapshot, w: number, now: number): PanelModel {
  const alive = s.workers.filter((x) => x.alive).length
  const title = `WORKERS ${alive}${alive === s.workers.length ? '' : `/${s.workers.length}`}`
  const busyW = 8
  const beatW = 7
  const upW = 6
  const rest = w - busyW - beatW - upW
  const nameW = clamp(Math.max(len(title) + 1, ...s.workers.map((x) => len(`${x.host}:${x.pid}`) + 1)), 14, Math.max(14, Math.floor(rest / 2)))
  const queuesW = Math.max(0, rest - nameW - 2)
  const header = [gray(cell('busy', busyW, true) + cell('beat', beatW, true) + cell('up', upW, true) + '  ' + cell('queues', queuesW))]
  const rows: Row[] = s.workers.map((x) => {
    const beat = ago(now - Date.parse(x.lastBeatAt))
    return {
      key: x.id,
      dim: !x.alive,
      segs: [
        { text: cell(`${x.host}:${x.pid}`, nameW), bold: x.alive },
        x.alive
          ? { text: cell(`${x.busy}/${x.concurrency}`, busyW, true), color: x.busy > 0 ? 'cyan' : undefined }
          : { text: cell('dead', busyW, true), color: 'red' },
        { text: cell(beat, beatW, true) },
        { text: cell(ago(now - Date.parse(x.startedAt)), upW, true) },
        { text: '  ' + cell(x.queues.join(','), queuesW), color: 'gray' },
      ],
    }
  })
  return { id: 'workers', title, titleWidth: nameW, header, rows, empty: 'no workers: start one with tq worker or tq dev' }
}

function runningPanel(s: StatusSnapshot, w: number): PanelModel {
  const title = `RUNNING ${s.running.length}`
  const idW = 10
  const elapsedW = 8
  const showQueue = w >= 95
  const queueW = showQueue ? 12 : 0
  const flex = w - idW - elapsedW - queueW
  const taskW = clamp(Math.max(len(title) + 1, ...s.running.map((j) => len(j.task) + 1)), 12, Math.max(12, Math.floor(flex * 0.45)))
  const progressW = Math.max(0, flex - taskW - 2)
  const header = [gray(cell('id', idW) + (showQueue ? cell('queue', queueW) : '') + cell('elapsed', elapsedW, true) + '  ' + cell('progress', progressW))]
  // Short ids are made distinct among the rows shown together.
  const short = shortIds(s.running.map((j) => j.id))
  const rows: Row[] = s.running.map((j) => ({
    key: j.id,
    segs: [
      { text: cell(j.task, taskW), bold: true },
      gray(cell(short.get(j.id)!, idW)),
      ...(showQueue ? [gray(cell(j.queue, queueW))] : []),
      { text: cell(elapsed(j.elapsedMs), elapsedW, true) },
      { text: '  ' },
      { text: cell(progressBar(j.progress, progressW), progressW), color: 'cyan' },
    ],
  }))
  return { id: 'running', title, titleWidth: taskW, header, rows, empty: 'no job running' }
}

function failuresPanel(s: StatusSnapshot, w: number, now: number): PanelModel {
  const title = `FAILURES ${s.failures.length}`
  const idW = 10
  const whenW = 6
  const flex = w - idW - whenW
  const taskW = clamp(Math.max(len(title) + 1, ...s.failures.map((j) => len(j.task) + 1)), 12, Math.max(12, Math.floor(flex * 0.4)))
  const errorW = Math.max(0, flex - taskW - 2)
  const header = [gray(cell('id', idW) + cell('ago', whenW, true) + '  ' + cell('error', errorW))]
  const short = shortIds(s.failures.map((j) => j.id))
  const rows: Row[] = s.failures.map((j) => ({
    key: j.id,
    segs: [
      { text: cell(j.task, taskW), bold: true },
      gray(cell(short.get(j.id)!, idW)),
      { text: cell(j.finishedAt ? ago(now - Date.parse(j.finishedAt)) : '', whenW, true) },
      { text: '  ' },
      { text: cell(j.error ? `${j.error.name}: ${firstLine(j.error.message)}` : '', errorW), color: 'red' },
    ],
  }))
  return { id: 'failures', title, titleWidth: taskW, header, rows, empty: 'no failures' }
}

function schedulesPanel(s: StatusSnapshot, w: number, now: number): PanelModel {
  const title = `SCHEDULES ${s.schedules.length}`
  const nextW = 10
  const atW = w >= 95 ? 22 : 0
  const flex = w - nextW - atW
  const nameW = clamp(Math.max(len(title) + 1, ...s.schedules.map((x) => len(x.name) + 1)), 13, Math.max(13, Math.floor(flex / 3)))
  const taskW = clamp(Math.max(...s.schedules.map((x) => len(x.task) + 1), 6), 6, Math.max(6, Math.floor((flex - nameW) / 2)))
  const exprW = Math.max(0, flex - nameW - taskW)
  const header = [gray(cell('task', taskW) + cell('when', exprW) + cell('next', nextW, true) + (atW ? cell('  next at', atW) : ''))]
  const rows: Row[] = s.schedules.map((x) => {
    const next = x.nextAt ? Date.parse(x.nextAt) : null
    const expr = x.tz && x.tz !== 'UTC' ? `${x.expression} ${x.tz}` : x.expression
    return {
      key: x.name,
      segs: [
        { text: cell(x.name, nameW), bold: true },
        { text: cell(x.task, taskW) },
        { text: cell(expr, exprW), color: 'cyan' },
        { text: cell(next === null ? '?' : until(next - now), nextW, true) },
        ...(atW ? [gray(cell(next === null ? '' : `  ${new Date(next).toISOString().slice(0, 19).replace('T', ' ')}Z`, atW))] : []),
      ],
    }
  })
  return { id: 'schedules', title, titleWidth: nameW, header, rows, empty: 'no schedules (beat saves them when it runs)' }
}

/**
 * Splits `available` lines among panels: each gets a title line and at least one row; queues
 * then get all they need (up to half), and the rest is shared out one line at a time.
 */
export function allocateHeights(available: number, wanted: Record<PanelId, number>): Record<PanelId, number> {
  const rows = Object.fromEntries(PANELS.map((p) => [p, 1])) as Record<PanelId, number>
  let left = available - PANELS.length * 2
  const give = (p: PanelId, cap: number) => {
    const n = Math.max(0, Math.min(left, cap - rows[p]))
    rows[p] += n
    left -= n
  }
  give('queues', Math.min(wanted.queues, Math.max(1, Math.floor(available / 2))))
  const order: PanelId[] = ['running', 'failures', 'workers', 'schedules']
  for (let progress = true; left > 0 && progress; ) {
    progress = false
    for (const p of order) {
      if (left > 0 && rows[p] < wanted[p]) {
        rows[p]++
        left--
        progress = true
      }
    }
  }
  return rows
}

/** First row to show so that `selected` is visible in a window of `height` rows. */
export function scrollOffset(selected: number, count: number, height: number): number {
  if (count <= height) return 0
  return clamp(selected - Math.floor(height / 2), 0, count - height)
}
