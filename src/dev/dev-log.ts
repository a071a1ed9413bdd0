import type { BeatEvent } from '../beat/beat.js'
import { formatMs } from '../app/duration.js'
import { colors } from '../format/colors.js'
import { beatEventToJson, formatBeatEvent } from '../format/beat-log.js'
import { eventToJson, formatEvent } from '../format/job-log.js'
import type { EngineEvent } from '../worker/engine.js'
import type { LoadError } from '../loader/load-error.js'
import type { DevSession, ReloadResult } from './dev-session.js'

const time = () => new Date().toISOString().slice(11, 23)

/** What `tq dev` prints: compact coloured lines for people, or one JSON object per line for tools. */
export class DevLog {
  private readonly c
  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly mode: { json?: boolean; quiet?: boolean } = {},
  ) {
    this.c = colors(out)
  }

  private line(text: string): void {
    this.out.write(text + '\n')
  }

  private json(event: string, fields: Record<string, unknown>): void {
    this.line(JSON.stringify({ time: new Date().toISOString(), event, ...fields }))
  }

  ready(s: DevSession): void {
    const tasks = [...s.tasks.keys()].sort()
    const schedules = s.schedules.map((d) => d.name)
    if (this.mode.json) {
      return this.json('ready', { broker: s.broker.describe, queues: s.engine?.queues ?? [], tasks, schedules })
    }
    const c = this.c
    const example = tasks.includes('email.welcome') ? `email.welcome '{"to":"a@b.c"}'` : `${tasks[0] ?? '<task>'} '{}'`
    this.line(`${c.bold('tq dev')}  broker ${c.cyan(s.broker.describe)}`)
    this.line(`        tasks  ${tasks.join(', ') || c.yellow('none yet: add a file under tasks/')}`)
    if (s.engine) this.line(`        worker ${s.engine.queues.join(', ')} ${c.gray(`(concurrency ${s.engine.concurrency})`)}`)
    this.line(`        beat   ${schedules.length ? schedules.join(', ') : c.gray('no schedules')}`)
    this.line(c.gray(`        enqueue: tq enqueue ${example}    watch: tq status    reloads on save`))
  }

  job(e: EngineEvent): void {
    if (this.mode.quiet && e.type !== 'failed' && e.type !== 'rejected') return
    this.line(this.mode.json ? eventToJson(e) : formatEvent(e, this.c))
  }

  beat(e: BeatEvent): void {
    if (this.mode.quiet && e.type !== 'error') return
    this.line(this.mode.json ? beatEventToJson(e) : formatBeatEvent(e, this.c))
  }

  reloaded(r: ReloadResult): void {
    if (this.mode.json) return this.json(r.restarted ? 'restarted' : 'reloaded', { ms: +r.ms.toFixed(1), files: r.files, tasks: r.tasks, added: r.added, removed: r.removed })
    const c = this.c
    const what = r.restarted ? 'restarted the engine' : `reloaded ${r.tasks} task${r.tasks === 1 ? '' : 's'}`
    const diff = [...r.added.map((t) => c.green(`+${t}`)), ...r.removed.map((t) => c.red(`-${t}`))].join(' ')
    this.line(`${c.gray(time())} ${c.green('↻')} ${what} in ${formatMs(r.ms)} ${c.gray(`(${r.files.join(', ')})`)}${diff ? ' ' + diff : ''}`)
  }

  brokerError(err: Error): void {
    if (this.mode.json) return this.json('broker-error', { message: err.message })
    this.line(`${this.c.gray(time())} ${this.c.yellow('!')} broker error: ${err.message.split('\n')[0]} (retrying)`)
  }

  restarting(files: string[]): void {
    if (this.mode.json) return this.json('restarting', { files })
    this.line(`${this.c.gray(time())} ${this.c.yellow('↻')} config changed ${this.c.gray(`(${files.join(', ')})`)}: restarting the engine`)
  }

  loadError(err: LoadError | Error, files: string[]): void {
    const loc = (err as LoadError).location
    if (this.mode.json) {
      return this.json('reload-failed', { files, message: (err as LoadError).detail ?? err.message, file: loc?.file ?? null, line: loc?.line ?? null, column: loc?.column ?? null })
    }
    const c = this.c
    this.line(`${c.gray(time())} ${c.red('✗')} ${c.red(`reload failed: ${err.message}`)}`)
    if (loc?.frame) this.line(c.gray(loc.frame))
    this.line(c.gray('  still running the last good code; fix the file and save'))
  }
}
