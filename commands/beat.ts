import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { Beat } from '../src/beat/beat.js'
import { beatEventToJson, formatBeatEvent } from '../src/format/beat-log.js'
import { colors } from '../src/format/colors.js'
import { buildInstrumentation, importInstrumentation } from '../src/loader/instrumentation.js'
import { loadRegistry } from '../src/loader/project.js'
import { onShutdownSignals } from '../src/worker/run-worker.js'

export default class BeatCommand extends TqCommand {
  static description = 'Run beat, the scheduler: enqueue each schedule slot exactly once (safe to run several).'
  static examples = ['<%= config.bin %> beat', 'TQ_BROKER_URL=redis://10.0.0.5:6379/0 <%= config.bin %> beat']
  static flags = {
    json: Flags.boolean({ description: 'log one JSON object per event' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(BeatCommand)
    const project = await this.project(flags, true)
    // Beat is a producer: the user's OpenTelemetry SDK, if the config names one, traces its enqueues.
    await importInstrumentation(await buildInstrumentation(project))
    const { registry } = await loadRegistry(project)
    const broker = await this.broker(project)
    const c = colors()
    const beat = new Beat(broker, registry.schedules, {
      maxCatchUp: project.config.beat?.maxCatchUp,
      tracing: project.config.tracing?.enabled !== false,
      onEvent: (e) => process.stdout.write((flags.json ? beatEventToJson(e) : formatBeatEvent(e, c)) + '\n'),
    })
    await beat.start()
    if (!flags.json) process.stderr.write(`${c.bold('tq beat')} on ${broker.describe}: ${registry.schedules.length} schedule(s): ${registry.schedules.map((s) => s.name).join(', ') || 'none'}\n`)
    await new Promise<void>((resolve) => onShutdownSignals(() => resolve(), () => process.exit(1)))
    await beat.stop()
    await broker.close()
  }
}
