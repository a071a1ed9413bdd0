import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { describeSchedules } from '../src/beat/schedule-list.js'
import { colors } from '../src/format/colors.js'
import { safeText as safe } from '../src/format/safe-text.js'
import { stateColor } from '../src/format/jobs-table.js'
import { loadRegistry } from '../src/loader/project.js'

/** An ISO time as the schedule's zone reads it: `2026-11-25 03:00 Europe/Paris`. */
function inZone(iso: string, tz: string): string {
  const f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
  return `${f.format(new Date(iso))} ${tz === 'UTC' ? 'UTC' : tz}`
}

export default class Schedules extends TqCommand {
  static description = 'List schedules with their next three runs, last run and its job state.'
  static examples = ['<%= config.bin %> schedules', '<%= config.bin %> schedules --json']
  static flags = { json: Flags.boolean({ description: 'print JSON' }) }

  async run(): Promise<void> {
    const { flags } = await this.parse(Schedules)
    const project = await this.project(flags, true)
    const { registry } = await loadRegistry(project)
    await this.withBroker(flags, async (broker) => {
      const views = await describeSchedules(registry.schedules, broker)
      if (flags.json) return this.printJson(views)
      const c = colors()
      if (views.length === 0) return void process.stdout.write(c.gray('no schedules (define them with schedule() in a task module)\n'))
      for (const v of views) {
        process.stdout.write(`${c.bold(safe(v.name))} → ${safe(v.task)}   ${c.cyan(safe(v.expression))} ${c.gray(safe(v.tz))}   catch-up ${v.catchUp}\n`)
        process.stdout.write(`  next  ${v.next.map((t) => inZone(t, v.tz)).join('   ')}\n`)
        const last = v.lastJob ? `${v.lastRun ? inZone(v.lastRun, v.tz) : '?'}  ${stateColor(v.lastJob.state as never, c)(v.lastJob.state)}  ${c.gray(safe(v.lastJob.id))}` : c.gray('never')
        process.stdout.write(`  last  ${last}\n`)
      }
    }, { project })
  }
}
