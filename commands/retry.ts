import { Args, Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { UsageError } from '../src/errors.js'
import { retryJobs } from '../src/cli-support/manage-jobs.js'

export default class Retry extends TqCommand {
  static description = 'Requeue failed (or cancelled, expired) jobs with a fresh attempt budget.'
  static examples = ['<%= config.bin %> retry 0b9c6f1e-…', '<%= config.bin %> retry --failed', '<%= config.bin %> retry --failed --queue emails']
  static strict = false
  static args = { ids: Args.string({ description: 'job ids, or their last characters as tq prints them' }) }
  static flags = {
    failed: Flags.boolean({ description: 'retry every failed job' }),
    queue: Flags.string({ description: 'with --failed: only this queue' }),
  }

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Retry)
    if (!flags.failed && argv.length === 0) throw new UsageError('give job ids or --failed', 'e.g. tq retry --failed')
    // The requeued ones are reported even when others are refused (the error then says which).
    const { requeued, asked, refused } = await this.withBroker(flags, (broker) => retryJobs(broker, argv as string[], flags), { mustExist: true })
    if (requeued.length) process.stdout.write(`requeued ${requeued.length} job(s)\n`)
    else if (flags.failed && asked === 0) process.stdout.write('no failed jobs\n')
    if (refused) throw refused
  }
}
