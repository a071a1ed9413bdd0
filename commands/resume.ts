import { Args } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'

export default class Resume extends TqCommand {
  static description = 'Hand out a paused queue\'s jobs again.'
  static examples = ['<%= config.bin %> resume emails']
  static args = { queue: Args.string({ description: 'queue name', required: true }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume)
    const broker = await this.broker(await this.project(flags))
    try {
      await broker.resume(args.queue)
      process.stdout.write(`resumed ${args.queue}\n`)
    } finally {
      await broker.close()
    }
  }
}
