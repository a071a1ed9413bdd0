import { Flags } from '@oclif/core'
import { TqCommand } from '../cli/base-command.js'
import { colors } from '../src/format/colors.js'
import { describeWorkers, workersText } from '../src/status/workers-view.js'

export default class Workers extends TqCommand {
  static description = 'List workers: host, pid, queues, threads, running jobs, jobs done and failed since start, memory, last heartbeat.'
  static examples = ['<%= config.bin %> workers', '<%= config.bin %> workers --json | jq ".[] | {host, pid, jobs}"']
  static flags = {
    json: Flags.boolean({ description: 'print an array of workers, each with alive and the jobs it runs' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Workers)
    const views = await this.withBroker(flags, (broker) => describeWorkers(broker), { mustExist: true })
    if (flags.json) this.printJson(views)
    else process.stdout.write(workersText(views, colors()) + '\n')
  }
}
