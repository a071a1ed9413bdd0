import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { JOB_STATES } from '../src/broker/types.js'
import { checkPurge, purgeJobs } from '../src/cli-support/manage-jobs.js'

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
    // Checked before opening the broker: a usage error needs no database.
    checkPurge(flags)
    const n = await this.withBroker(flags, (broker) => purgeJobs(broker, flags), { mustExist: true })
    process.stdout.write(`deleted ${n} job(s)\n`)
  }
}
