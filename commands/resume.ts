import { Args } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { setQueuePaused } from '../src/cli-support/pause-queue.js'

export default class Resume extends TqCommand {
  static description = 'Hand out a paused queue\'s jobs again.'
  static examples = ['<%= config.bin %> resume emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    await this.withBroker(flags, (broker) => setQueuePaused(broker, args.queue, false))
  }
}
