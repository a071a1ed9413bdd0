import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { colors } from '../src/format/colors.js'
import { buildSnapshot } from '../src/status/snapshot.js'
import { statusSummary } from '../src/status/summary.js'

export default class Status extends TqCommand {
  static description =
    'Live view of queues, workers, running jobs, failures and schedules (a TUI on a terminal; a plain summary when piped).'
  static examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --json | jq ".queues[] | {queue, counts}"',
    '<%= config.bin %> status | cat',
  ]
  static flags = {
    json: Flags.boolean({ description: 'print one snapshot as JSON: queues with counts by state, workers, schedules' }),
    interval: Flags.integer({ description: 'live view: milliseconds between refreshes', default: 1000, min: 100, max: 60_000 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Status)
    // The live view's code (ink, React) loads while the project and broker open.
    const live = !flags.json && process.stdout.isTTY ? import('../src/status/live.js').then((m) => (m.loadTui().catch(() => undefined), m)) : null
    await this.withBroker(
      flags,
      async (broker) => {
        if (flags.json) return this.printJson(await buildSnapshot(broker))
        if (!live) return void process.stdout.write(statusSummary(await buildSnapshot(broker), colors()) + '\n')
        await (await live).runLiveStatus(broker, { intervalMs: flags.interval })
      },
      { mustExist: true },
    )
  }
}
