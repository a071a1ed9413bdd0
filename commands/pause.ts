import { Args } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'
import { safeText as safe } from '../src/format/safe-text.js'
import { unknownQueueNote } from '../src/status/unknown-queue.js'

export default class Pause extends TqCommand {
  static description = 'Stop handing out a queue\'s jobs (they keep accumulating) until tq resume.'
  static examples = ['<%= config.bin %> pause emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pause)
    const broker = await this.broker(await this.project(flags))
    try {
      const note = await unknownQueueNote(broker, args.queue)
      await broker.pause(args.queue)
      process.stdout.write(`paused ${safe(args.queue)}\n`)
      if (note) process.stderr.write(`note: ${safe(`${note}; paused it anyway: its jobs will wait until tq resume ${args.queue}`)}\n`)
    } finally {
      await broker.close()
    }
  }
}
