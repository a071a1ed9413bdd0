import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { queueList, workerFlags } from '../cli/worker-flags.js'
import { colors } from '../src/format/colors.js'
import { eventToJson, formatEvent, formatWorkerLost, workerLostToJson } from '../src/format/job-log.js'
import { onShutdownSignals, startWorker } from '../src/worker/run-worker.js'
import { toMs } from '../src/util/duration.js'
import { parseMetricsAddress } from '../src/metrics/address.js'
import { startMetrics } from '../src/cli-support/metrics.js'
import type { WorkerEngine } from '../src/worker/engine.js'

export default class Worker extends TqCommand {
  static description = 'Run a worker: take jobs from the broker and run them in task threads.'
  static examples = [
    '<%= config.bin %> worker',
    '<%= config.bin %> worker --queues emails,default --concurrency 20',
    '<%= config.bin %> worker --burst   # exit once no job is ready',
    '<%= config.bin %> worker --metrics 9464   # Prometheus scrapes http://host:9464/metrics',
  ]
  static flags = {
    ...workerFlags,
    burst: Flags.boolean({ description: 'exit 0 once no job is ready' }),
    json: Flags.boolean({ description: 'log one JSON object per job event' }),
    quiet: Flags.boolean({ char: 'q', description: 'log failures only' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker)
    const project = await this.project(flags, true)
    // Checked before anything is opened: a bad address writes nothing.
    if (flags.metrics !== undefined) parseMetricsAddress(flags.metrics)
    const broker = await this.broker(project)
    const c = colors()
    let engineRef: WorkerEngine | undefined
    const metrics = flags.metrics === undefined ? undefined : await startMetrics(flags.metrics, broker, () => engineRef)
    if (metrics) process.stderr.write(`metrics on ${metrics.url}\n`)
    const engine = await startWorker(project, broker, {
      queues: queueList(flags.queues),
      concurrency: flags.concurrency,
      threads: flags.threads,
      burst: flags.burst,
      onError: (err) => process.stderr.write(`${c.yellow('broker error')}: ${err.message.split('\n')[0]} (retrying)\n`),
      onWorkerLost: (lost) => process.stdout.write((flags.json ? workerLostToJson(lost) : formatWorkerLost(lost, c)) + '\n'),
      onEvent: (e) => {
        metrics?.observe(e)
        if (e.type === 'progress') return // live in tq events and tq job, too chatty for the log
        if (flags.quiet && e.type !== 'failed' && e.type !== 'rejected') return
        process.stdout.write((flags.json ? eventToJson(e) : formatEvent(e, c)) + '\n')
      },
      onEngine: (e) => (engineRef = e),
    })
    if (!flags.json) {
      process.stderr.write(`${c.bold('tq worker')} ${engine.id} on ${broker.describe}, queues ${engine.queues.join(',')}, concurrency ${engine.concurrency}\n`)
    }
    const grace = toMs(project.config.worker?.shutdownGrace ?? '30s', 'worker.shutdownGrace')
    let stopping: Promise<void> | undefined
    const stop = () => (stopping ??= engine.stop(grace).then(() => Promise.all([broker.close(), metrics?.close()])).then(() => undefined))
    const off = onShutdownSignals(
      () => {
        process.stderr.write('stopping: finishing running jobs (press Ctrl-C again to exit now)\n')
        void stop()
      },
      () => {
        void engine.abandon().then((n) => {
          process.stderr.write(`exiting now; ${n} running job(s) put back on the queue\n`)
          process.exit(1)
        })
      },
    )
    try {
      await engine.done()
    } finally {
      // Also when a burst run gave up: release running jobs and close the store before the error line.
      await stop()
      off()
    }
  }
}
