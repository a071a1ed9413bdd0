import { Args } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { UsageError } from '../src/errors.js'
import { cancelJobs } from '../src/cli-support/manage-jobs.js'

export default class Cancel extends TqCommand {
  static description = 'Cancel jobs: waiting ones never run; running ones get ctx.signal aborted, then a hard stop.'
  static examples = ['<%= config.bin %> cancel 0b9c6f1e-…', '<%= config.bin %> cancel id1 id2 id3']
  static strict = false
  // Not `required`: oclif's own message would run this description into it.
  static args = { ids: Args.string({ description: 'job ids, or their last characters as tq prints them' }) }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Cancel)
    if (argv.length === 0) throw new UsageError('give the ids of the jobs to cancel', 'e.g. tq cancel 4f2a9c1e (tq jobs lists them)')
    const res = await this.withBroker(flags, (broker) => cancelJobs(broker, argv as string[]), { mustExist: true })
    for (const id of res.cancelled) process.stdout.write(`cancelled ${id}\n`)
    for (const id of res.aborting) process.stdout.write(`aborting ${id} (running: its worker stops it)\n`)
    if (res.refused) throw res.refused
  }
}
