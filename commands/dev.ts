import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { queueList, workerFlags } from '../cli/worker-flags.js'
import { DevLog } from '../src/dev/dev-log.js'
import { DevSession } from '../src/dev/dev-session.js'
import { onShutdownSignals } from '../src/worker/run-worker.js'

export default class Dev extends TqCommand {
  static description = 'Run the broker, a worker and beat in one process, with live logs and hot reload of task code.'
  static examples = ['<%= config.bin %> dev', '<%= config.bin %> dev --concurrency 4 --no-beat', '<%= config.bin %> dev --queues emails,default --threads 2', '<%= config.bin %> dev --json | jq .', '<%= config.bin %> dev --metrics 9464']
  static flags = {
    ...workerFlags,
    beat: Flags.boolean({ description: 'run beat (the scheduler)', default: true, allowNo: true }),
    watch: Flags.boolean({ description: 'reload task code on save', default: true, allowNo: true }),
    quiet: Flags.boolean({ char: 'q', description: 'log failures and reloads only' }),
    json: Flags.boolean({ description: 'log one JSON object per event' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev)
    const log = new DevLog(process.stdout, { json: flags.json, quiet: flags.quiet })
    const session = new DevSession({ config: flags.config, broker: flags.broker, queues: queueList(flags.queues), concurrency: flags.concurrency, threads: flags.threads, beat: flags.beat, watch: flags.watch, metrics: flags.metrics }, log)
    // Signals are handled from the start: a Ctrl-C while tq dev is still starting stops it cleanly too.
    let stopRequested: (() => void) | undefined
    const stopped = new Promise<void>((resolve) => (stopRequested = resolve))
    onShutdownSignals(
      () => {
        process.stderr.write('stopping: finishing running jobs (press Ctrl-C again to exit now)\n')
        stopRequested!()
      },
      () =>
        void session.abandon().then((n) => {
          process.stderr.write(`exiting now; ${n} running job(s) put back on the queue\n`)
          process.exit(1)
        }),
    )
    try {
      await session.start()
    } catch (err) {
      await session.stop().catch(() => undefined)
      log.flush()
      throw err
    }
    if (session.metrics) process.stderr.write(`metrics on ${session.metrics.url}\n`)
    await stopped
    await session.stop()
  }
}
