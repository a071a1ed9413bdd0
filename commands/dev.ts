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
    ui: Flags.boolean({ description: 'serve the web dashboard on 127.0.0.1 (the banner prints its address)', default: true, allowNo: true }),
    'ui-port': Flags.integer({ description: 'the dashboard\'s port (the next free one if taken; 0: any free port)', default: 5555, min: 0, max: 65535 }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev)
    const log = new DevLog(process.stdout, { json: flags.json, quiet: flags.quiet })
    let dashboard: { close(): Promise<void> } | undefined
    // The dashboard loads only when served; it opens its own broker connection, so an engine restart leaves it be.
    const beforeReady = async (s: DevSession): Promise<string> => {
      const [{ startUiServer }, { openBroker }, { loadRegistry }] = await Promise.all([import('../src/ui/server.js'), import('../src/broker/open-broker.js'), import('../src/loader/project.js')])
      const broker = await openBroker(s.project.brokerUrl, s.project.root)
      const server = await startUiServer({ broker, port: flags['ui-port'], findFreePort: true, tasks: () => loadRegistry(s.project).then((r) => r.registry), maxPayload: s.project.config.maxPayload })
      dashboard = { close: () => server.close().then(() => broker.close()) }
      return server.url
    }
    const session = new DevSession({ config: flags.config, broker: flags.broker, queues: queueList(flags.queues), concurrency: flags.concurrency, threads: flags.threads, beat: flags.beat, watch: flags.watch, beforeReady: flags.ui ? beforeReady : undefined, metrics: flags.metrics }, log)
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
      await dashboard?.close().catch(() => undefined)
      await session.stop().catch(() => undefined)
      log.flush()
      throw err
    }
    if (session.metrics) process.stderr.write(`metrics on ${session.metrics.url}\n`)
    await stopped
    await dashboard?.close()
    await session.stop()
  }
}
