import { Args } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'
import { TqError } from '../src/errors.js'
import { resolveJobIds } from '../src/cli-support/resolve-job-id.js'

export default class Cancel extends TqCommand {
  static description = 'Cancel jobs: waiting ones never run; running ones get ctx.signal aborted, then a hard stop.'
  static examples = ['<%= config.bin %> cancel 0b9c6f1e-…', '<%= config.bin %> cancel id1 id2 id3']
  static strict = false
  static args = { ids: Args.string({ description: 'job ids, or their last characters as tq prints them', required: true }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Cancel)
    const broker = await this.broker(await this.project(flags), { mustExist: true })
    try {
      const ids = await resolveJobIds(broker, argv as string[])
      const res = await broker.cancel(ids)
      for (const id of res.cancelled) process.stdout.write(`cancelled ${id}\n`)
      for (const id of res.aborting) process.stdout.write(`aborting ${id} (running: its worker stops it)\n`)
      const missed = ids.filter((id) => !res.cancelled.includes(id) && !res.aborting.includes(id))
      const unknown: string[] = []
      for (const id of missed) if (!(await broker.getJob(id))) unknown.push(id)
      if (unknown.length) throw new TqError(`no job with id ${unknown.join(', ')}`, 'list jobs with tq jobs')
      if (missed.length) throw new TqError(`already finished, not cancellable: ${missed.join(', ')}`, 'see tq job <id>')
    } finally {
      await broker.close()
    }
  }
}
