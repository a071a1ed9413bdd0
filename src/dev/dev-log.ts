import type { BeatEvent } from '../beat/beat.js'
import { formatMs } from '../util/duration.js'
import { colors } from '../format/colors.js'
import { beatEventToJson, formatBeatEvent } from '../format/beat-log.js'
import { eventToJson, formatEvent, formatWorkerLost } from '../format/job-log.js'
import type { ReapedWorker } from '../broker/types.js'
import { safeText as safe } from '../format/safe-text.js'
import type { ScheduleDef } from '../beat/schedule-def.js'
import type { EngineEvent } from '../worker/engine.js'
import type { LoadError } from '../load-error.js'
import type { DevReporter, DevSession, ReloadResult } from './dev-session.js'
import { logTime } from '../format/clock.js'


/** A shell word that needs no quoting. */
const PLAIN_WORD = /^[\w.:@/-]+$/

/**
 * The enqueue command the banner suggests, with a payload the task takes: the scaffold's own
 * example, else the payload a schedule sends the task (beat sends it, so the task accepts it),
 * else a placeholder rather than a guess like `{}` that the task's schema may refuse.
 */
export function enqueueExample(tasks: readonly string[], schedules: readonly ScheduleDef[]): string {
  if (tasks.includes('email.welcome')) return `email.welcome '{"to":"a@b.c"}'`
  for (const d of schedules) {
    if (!tasks.includes(d.task) || !PLAIN_WORD.test(d.task)) continue
    const json = JSON.stringify(d.payload ?? null)
    if (json.length <= 60 && !json.includes("'")) return `${d.task} '${json}'`
  }
  const task = tasks.find((t) => PLAIN_WORD.test(t))
  return task ? `${task} '<payload JSON>'` : `<task> '<payload JSON>'`
}

/** What `tq dev` prints: compact coloured lines for people, or one JSON object per line for tools. */
export class DevLog implements DevReporter {
  private readonly c
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly mode: { json?: boolean; quiet?: boolean } = {},
  ) {
    this.c = colors(out)
  }

  /**
   * Lines logged before the banner: queued jobs start running as soon as the engine does, a moment
   * before the banner can say what runs. They print right after it, so the banner comes first.
   */
  private held: string[] | null = []

  private line(text: string): void {
    this.out.write(text + '\n')
  }

  /** A job or beat line: held until the banner is out. */
  private event(text: string): void {
    if (this.held) this.held.push(text)
    else this.line(text)
  }

  private json(event: string, fields: Record<string, unknown>): void {
    this.line(JSON.stringify({ time: new Date().toISOString(), event, ...fields }))
  }

  /** Prints what was held back for the banner (also when starting failed, so nothing is lost). */
  flush(): void {
    const held = this.held ?? []
    this.held = null
    for (const text of held) this.line(text)
  }

  ready(s: DevSession): void {
    const tasks = [...s.tasks.keys()].sort()
    // With --no-beat no schedule runs: the banner does not list them as if they did.
    const schedules = s.beatRunning ? s.schedules.map((d) => d.name) : []
    if (this.mode.json) {
      this.json('ready', { broker: s.broker.describe, queues: s.engine?.queues ?? [], tasks, schedules, beat: s.beatRunning, ...(s.dashboardUrl ? { ui: s.dashboardUrl } : {}) })
      return this.flush()
    }
    const c = this.c
    const list = (names: readonly string[]) => safe(names.join(', '))
    this.line(`${c.bold('tq dev')}  broker ${c.cyan(safe(s.broker.describe))}`)
    this.line(`        tasks  ${list(tasks) || c.yellow('none yet: add a file under tasks/')}`)
    if (s.engine) this.line(`        worker ${list(s.engine.queues)} ${c.gray(`(concurrency ${s.engine.concurrency})`)}`)
    if (!s.beatRunning) this.line(`        beat   ${c.gray('off (--no-beat): schedules do not run')}`)
    else this.line(`        beat   ${schedules.length ? list(schedules) : c.gray('no schedules')}`)
    if (s.dashboardUrl) this.line(`        ui     ${c.cyan(safe(s.dashboardUrl))}`)
    this.line(c.gray(`        enqueue: tq enqueue ${enqueueExample(tasks, s.schedules)}    watch: tq status    reloads on save`))
    this.flush()
  }

  job(e: EngineEvent): void {
    if (e.type === 'progress') return // live in tq events and tq job, too chatty for the log
    if (this.mode.quiet && e.type !== 'failed' && e.type !== 'rejected') return
    this.event(this.mode.json ? eventToJson(e) : formatEvent(e, this.c))
  }

  beat(e: BeatEvent): void {
    if (this.mode.quiet && e.type !== 'error') return
    this.event(this.mode.json ? beatEventToJson(e) : formatBeatEvent(e, this.c))
  }

  reloaded(r: ReloadResult): void {
    if (this.mode.json) return this.json(r.restarted ? 'restarted' : 'reloaded', { ms: +r.ms.toFixed(1), files: r.files, tasks: r.tasks, added: r.added, removed: r.removed })
    const c = this.c
    const what = r.restarted ? 'restarted the engine' : `reloaded ${r.tasks} task${r.tasks === 1 ? '' : 's'}`
    const diff = [...r.added.map((t) => c.green(`+${safe(t)}`)), ...r.removed.map((t) => c.red(`-${safe(t)}`))].join(' ')
    this.line(`${c.gray(logTime())} ${c.green('↻')} ${what} in ${formatMs(r.ms)} ${c.gray(`(${safe(r.files.join(', '))})`)}${diff ? ' ' + diff : ''}`)
  }

  workerLost(lost: ReapedWorker): void {
    if (this.mode.json) return this.json('worker-lost', { worker: lost.worker.id, host: lost.worker.host, pid: lost.worker.pid, requeued: lost.requeued })
    this.line(formatWorkerLost(lost, this.c))
  }

  brokerError(err: Error): void {
    if (this.mode.json) return this.json('broker-error', { message: err.message })
    this.line(`${this.c.gray(logTime())} ${this.c.yellow('!')} broker error: ${safe(err.message.split('\n')[0]!)} (retrying)`)
  }

  restarting(files: string[]): void {
    if (this.mode.json) return this.json('restarting', { files })
    this.line(`${this.c.gray(logTime())} ${this.c.yellow('↻')} config changed ${this.c.gray(`(${safe(files.join(', '))})`)}: restarting the engine`)
  }

  loadError(err: LoadError | Error, files: string[]): void {
    const loc = (err as LoadError).location
    if (this.mode.json) {
      return this.json('reload-failed', { files, message: (err as LoadError).detail ?? err.message, file: loc?.file ?? null, line: loc?.line ?? null, column: loc?.column ?? null })
    }
    const c = this.c
    this.line(`${c.gray(logTime())} ${c.red('✗')} ${c.red(`reload failed: ${safe(err.message, { multiline: true })}`)}`)
    if (loc?.frame) this.line(c.gray(safe(loc.frame, { multiline: true })))
    this.line(c.gray('  still running the last good code; fix the file and save'))
  }
}
