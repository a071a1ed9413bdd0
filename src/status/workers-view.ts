import type { AdminBroker, JobJSON, WorkerInfo } from '../broker/types.js'
import { isAlive } from '../broker/worker-liveness.js'
import type { Colors } from '../format/colors.js'
import { safeText, visibleLength } from '../format/safe-text.js'
import { shortIds } from '../format/short-id.js'
import { ago } from './text.js'

/** A worker as `tq workers` shows it: its heartbeat record, whether it is alive, and what it runs. */
export interface WorkerView extends WorkerInfo {
  alive: boolean
  /** The jobs it runs now: id, task and how long they have run (ms). */
  jobs: { id: string; task: string; runningMs: number | null }[]
}

/** Reads the workers and the jobs they run (Celery's `inspect active` and `stats` in one). */
export async function describeWorkers(broker: AdminBroker, now = Date.now()): Promise<WorkerView[]> {
  const workers = await broker.listWorkers()
  const ids = [...new Set(workers.flatMap((w) => w.running))]
  const jobs = new Map<string, JobJSON>()
  for (const job of await Promise.all(ids.map((id) => broker.getJob(id)))) if (job) jobs.set(job.id, job)
  return workers.map((w) => ({
    ...w,
    alive: isAlive(w, now),
    jobs: w.running.map((id) => {
      const j = jobs.get(id)
      return { id, task: j?.task ?? '?', runningMs: j?.startedAt ? now - Date.parse(j.startedAt) : null }
    }),
  }))
}

/** `2` or, when some are busy or blocked, `3 (2 busy, 1 blocked)`. */
function threadsCell(v: WorkerView): string {
  const states = v.threadStates
  if (!states) return String(v.threads ?? '?')
  const busy = states.filter((t) => t.jobs > 0 && !t.blocked).length
  const blocked = states.filter((t) => t.blocked).length
  const parts = [busy ? `${busy} busy` : '', blocked ? `${blocked} blocked` : ''].filter(Boolean)
  return `${states.length}${parts.length ? ` (${parts.join(', ')})` : ''}`
}

const pad = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - visibleLength(s)))
const mb = (bytes: number | undefined) => (bytes === undefined ? '?' : `${Math.round(bytes / 1048576)} MB`)

/** One block per worker: a summary line, then the jobs it runs. */
export function workersText(views: readonly WorkerView[], c: Colors, now = Date.now()): string {
  if (views.length === 0) return c.gray('no workers (start one with tq worker or tq dev)')
  const short = shortIds(views.flatMap((v) => v.jobs.map((j) => j.id)))
  const head = ['WORKER', 'STATE', 'QUEUES', 'THREADS', 'BUSY', 'DONE', 'FAILED', 'MEMORY', 'BEAT', 'UP']
  const rows = views.map((v) => [
    safeText(`${v.host}:${v.pid}`),
    v.alive ? c.green('alive') : c.red('dead'),
    safeText(v.queues.join(',')),
    threadsCell(v),
    `${v.running.length}/${v.concurrency}`,
    String(v.done ?? '?'),
    String(v.failed ?? '?'),
    mb(v.rssBytes),
    `${ago(now - v.lastBeatAt)} ago`,
    ago(now - v.startedAt),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]!))))
  const line = (cells: string[]) => cells.map((cell, i) => pad(cell, widths[i]!)).join('  ').trimEnd()
  const out = [c.bold(line(head))]
  views.forEach((v, i) => {
    out.push(line(rows[i]!))
    for (const b of v.blocked ?? []) out.push(c.yellow(`  ⏳ ${safeText(b.task)} ${short.get(b.id) ?? safeText(b.id)} has blocked a thread for ${ago(now - b.since)} (no timeout set)`))
    for (const j of v.jobs) out.push(`  ${c.gray('▶')} ${safeText(j.task)} ${c.gray(short.get(j.id)!)}${j.runningMs === null ? '' : c.gray(` ${ago(j.runningMs)}`)}`)
  })
  return out.join('\n')
}
