import { Args, Flags } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'
import { TqError, UsageError } from '../src/errors.js'
import { resolveJobIds } from '../src/cli-support/resolve-job-id.js'

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
    const broker = await this.broker(await this.project(flags), { mustExist: true })
    try {
      let ids = await resolveJobIds(broker, argv as string[])
      if (flags.failed) ids = [...ids, ...(await broker.failedIds(flags.queue))]
      const done = await broker.retry(ids)
      if (done.length) process.stdout.write(`requeued ${done.length} job(s)\n`)
      else if (flags.failed && ids.length === 0) process.stdout.write('no failed jobs\n')
      const missed = ids.filter((id) => !done.includes(id))
      const unknown: string[] = []
      for (const id of missed) if (!(await broker.getJob(id))) unknown.push(id)
      if (unknown.length) throw new TqError(`no job with id ${unknown.join(', ')}`, 'list jobs with tq jobs --state failed')
      if (missed.length) throw new TqError(`not retryable (only failed, cancelled or expired jobs are): ${missed.join(', ')}`, 'see tq job <id>')
    } finally {
      await broker.close()
    }
  }
}
