import { Args } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { setQueuePaused } from '../src/cli-support/pause-queue.js'

export default class Pause extends TqCommand {
  static description = 'Stop handing out a queue\'s jobs (they keep accumulating) until tq resume.'
  static examples = ['<%= config.bin %> pause emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pause)
    await this.withBroker(flags, (broker) => setQueuePaused(broker, args.queue, true))
  }
}
