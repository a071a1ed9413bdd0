import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { colors } from '../src/format/colors.js'
import { formatLiveEvent, liveEventToJson } from '../src/format/live-event.js'
import { watchEvents } from '../src/cli-support/watch-events.js'
import { PROBE_MS } from '../src/broker/event-batcher.js'

export default class Events extends TqCommand {
  static description = 'Print job and worker events as they happen (enqueued, started, progress, retried, succeeded, failed, cancelled, expired; worker online/offline), until Ctrl-C.'
  static examples = [
    '<%= config.bin %> events',
    '<%= config.bin %> events --task emails.send --queue emails',
    '<%= config.bin %> events --json | jq -c "select(.type == \\"failed\\")"',
  ]
  static flags = {
    json: Flags.boolean({ description: 'print one JSON object per event (NDJSON)' }),
    task: Flags.string({ description: 'only jobs of this task (repeatable)', multiple: true }),
    queue: Flags.string({ description: 'only jobs on this queue (repeatable)', multiple: true }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Events)
    const project = await this.project(flags)
    const broker = await this.broker(project, { mustExist: true })
    const c = colors()
    const stop = new AbortController()
    const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }))
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      await watchEvents(broker, { tasks: flags.task, queues: flags.queue }, (e) => process.stdout.write((flags.json ? liveEventToJson(e) : formatLiveEvent(e, c)) + '\n'), stop.signal)
      // Busy workers that found nobody listening ask again every PROBE_MS: from now on they all know.
      await new Promise((resolve) => setTimeout(resolve, PROBE_MS + 50))
      process.stderr.write(`listening for events on ${broker.describe} (Ctrl-C to stop)\n`)
      await stopped
    } finally {
      stop.abort()
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await broker.close()
    }
  }
}
