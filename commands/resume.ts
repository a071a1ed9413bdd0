import { Args } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'
import { safeText as safe } from '../src/format/safe-text.js'
import { unknownQueueNote } from '../src/status/unknown-queue.js'

export default class Resume extends TqCommand {
  static description = 'Hand out a paused queue\'s jobs again.'
  static examples = ['<%= config.bin %> resume emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    const broker = await this.broker(await this.project(flags))
    try {
      const note = await unknownQueueNote(broker, args.queue)
      await broker.resume(args.queue)
      process.stdout.write(`resumed ${safe(args.queue)}\n`)
      if (note) process.stderr.write(`note: ${safe(note)}\n`)
    } finally {
      await broker.close()
    }
  }
}
