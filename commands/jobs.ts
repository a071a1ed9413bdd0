import { Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { JOB_STATES } from '../src/broker/types.js'
import { jobsTable } from '../src/format/jobs-table.js'
import { colors } from '../src/format/colors.js'
import { resolveJobId } from '../src/cli-support/resolve-job-id.js'
import { assertQueueName, assertTaskName } from '../src/app/names.js'

export default class Jobs extends TqCommand {
  static description = `List jobs, newest first: finished jobs by when they finished, others by when they were enqueued.
On Redis, a listing filtered by task or queue looks through at most the newest 100,000 jobs, and of a queue's
backlog over 10,000 waiting jobs, at the 10,000 that run last.`
  static examples = [
    '<%= config.bin %> jobs',
    '<%= config.bin %> jobs --state failed --queue emails',
    '<%= config.bin %> jobs --state succeeded --json --limit 1000',
    '<%= config.bin %> jobs --workflow 0b9c6f1e-…',
  ]
  static flags = {
    state: Flags.string({ description: 'only jobs in this state', options: [...JOB_STATES] }),
    queue: Flags.string({ description: 'only jobs in this queue' }),
    task: Flags.string({ description: 'only jobs of this task' }),
    workflow: Flags.string({ description: "only the steps of this workflow (its id, as tq enqueue or tq job prints it)" }),
    limit: Flags.integer({ description: 'most jobs to list', default: 50, min: 1 }),
    json: Flags.boolean({ description: 'print an array of job JSON' }),
  }

  async run(): Promise<void> {
    const { flags } = await this.parse(Jobs)
    // A name no job can have is a typo: say so rather than print "no jobs".
    if (flags.queue !== undefined) assertQueueName(flags.queue)
    if (flags.task !== undefined) assertTaskName(flags.task)
    const jobs = await this.withBroker(flags, async (broker) => {
      // Any step's id names its workflow too.
      const given = flags.workflow === undefined ? undefined : await resolveJobId(broker, flags.workflow)
      const workflowId = given === undefined ? undefined : ((await broker.getJob(given))?.workflowId ?? given)
      return broker.listJobs({ state: flags.state as never, queue: flags.queue, task: flags.task, workflowId, limit: flags.limit })
    }, { mustExist: true })
    if (flags.json) this.printJson(jobs)
    else process.stdout.write(jobsTable(jobs, colors()) + '\n')
  }
}
