import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { JOB_STATES } from '../src/broker/types.js'
import { UsageError } from '../src/errors.js'

export default class Purge extends TqCommand {
  static description = 'Delete jobs that are not running, optionally only of one queue or state.'
  static examples = ['<%= config.bin %> purge --state failed', '<%= config.bin %> purge --queue emails --state succeeded', '<%= config.bin %> purge --all']
  static flags = {
    queue: Flags.string({ description: 'only this queue' }),
    state: Flags.string({ description: 'only this state', options: JOB_STATES.filter((s) => s !== 'active') }),
    all: Flags.boolean({ description: 'every job that is not running, in every queue' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Purge)
    if (!flags.queue && !flags.state && !flags.all) {
      throw new UsageError('purge needs --queue, --state or --all', 'tq purge --all deletes every job that is not running')
    }
    const n = await this.withBroker(flags, (broker) => broker.purge({ queue: flags.queue, state: flags.state as never }), { mustExist: true })
    process.stdout.write(`deleted ${n} job(s)\n`)
  }
}
