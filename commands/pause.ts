import { Args } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'

export default class Pause extends TqCommand {
  static description = 'Stop handing out a queue\'s jobs (they keep accumulating) until tq resume.'
  static examples = ['<%= config.bin %> pause emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pause)
    const broker = await this.broker(await this.project(flags))
    try {
      await broker.pause(args.queue)
      process.stdout.write(`paused ${args.queue}\n`)
    } finally {
      await broker.close()
    }
  }
}
