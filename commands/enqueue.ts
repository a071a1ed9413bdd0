import { Args, Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { Client } from '../src/app/client.js'
import { loadRegistry } from '../src/loader/project.js'
import { batchLine, batchSummary, checkEnqueueFlags, readBatch, parsePayload, waitAndReport } from '../src/cli-support/enqueue.js'
import { queueWarning } from '../src/cli-support/queue-check.js'

export default class Enqueue extends TqCommand {
  static description = 'Put a job on the queue and print its id.'
  static examples = [
    `<%= config.bin %> enqueue email.welcome '{"to":"a@b.c"}'`,
    `<%= config.bin %> enqueue report.build '{"day":"2026-01-01"}' --delay 10s --priority 5`,
    `<%= config.bin %> enqueue email.welcome '{"to":"a@b.c"}' --wait --timeout 30s`,
    '<%= config.bin %> enqueue email.welcome --batch payloads.ndjson',
  ]
  static args = {
    task: Args.string({ description: 'task name, e.g. email.welcome', required: true }),
    // ignoreStdin: with --batch -, stdin is the batch, not this argument.
    payload: Args.string({ description: 'payload as JSON (default null)', ignoreStdin: true }),
  }
  static flags = {
    queue: Flags.string({ description: 'queue (default: the task\'s, else default)' }),
    delay: Flags.string({ description: 'run after this long, e.g. 10s, 5m' }),
    at: Flags.string({ description: 'run at this ISO time' }),
    priority: Flags.integer({ description: 'higher runs first (default: the task\'s, else 0)' }),
    key: Flags.string({ description: 'unique key: while a job with this key waits or runs, return it instead' }),
    wait: Flags.boolean({ description: 'wait for the job to finish and print its result' }),
    timeout: Flags.string({ description: 'with --wait: give up after this long', dependsOn: ['wait'] }),
    batch: Flags.string({ description: 'enqueue one payload per line (NDJSON) from a file, or - for stdin' }),
    json: Flags.boolean({ description: 'print JSON' }),
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Enqueue)
    // Validate everything before touching the broker: bad input writes nothing.
    checkEnqueueFlags(flags, args.payload)
    const payloads = flags.batch ? await readBatch(flags.batch) : [parsePayload(args.payload)]
    const project = await this.project(flags, true)
    // The task code tells which tasks exist and their options (schema, queue, limits): if it does
    // not load, refuse with the load error rather than write jobs nothing has checked.
    const { registry } = await loadRegistry(project)
    const opts = { queue: flags.queue, delay: flags.delay, at: flags.at, priority: flags.priority, key: flags.key }
    const broker = await this.broker(project)
    const client = new Client(broker, registry, { maxPayload: project.config.maxPayload })
    try {
      const handles = await client.enqueueMany(args.task, payloads, opts)
      const queue = handles[0]?.queue
      const warning = queue ? await queueWarning(broker, queue).catch(() => undefined) : undefined
      if (warning) process.stderr.write(`warning: ${warning}\n`)
      if (flags.batch) {
        const summary = batchSummary(handles)
        if (flags.json) this.printJson(summary)
        else process.stdout.write(`${batchLine(summary)}\n`)
        return
      }
      const handle = handles[0]!
      if (!flags.wait) {
        if (flags.json) this.printJson({ id: handle.id, created: handle.created })
        else process.stdout.write(`${handle.id}\n`)
        return
      }
      const ok = await waitAndReport(handle, { timeout: flags.timeout, json: flags.json })
      if (!ok) this.exit(1)
    } finally {
      await client.close()
    }
  }
}
