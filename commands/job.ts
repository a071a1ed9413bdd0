import { Args, Flags } from '#oclif'
import { TqCommand } from '../cli/base-command.js'
import { TqError } from '../src/errors.js'
import { resolveJobId } from '../src/cli-support/resolve-job-id.js'
import { jobDetail } from '../src/status/job-detail.js'
import { colors } from '../src/format/colors.js'

/** Steps of a workflow read to draw its graph (a chord of 10,000 header jobs fits). */
const MAX_WORKFLOW_STEPS = 100_000

export default class Job extends TqCommand {
  static description = 'Show one job: state, payload, result or error, every attempt, children, and the graph of its workflow.'
  static examples = ['<%= config.bin %> job 0b9c6f1e-…', '<%= config.bin %> job 0b9c6f1e-… --json']
  static args = { id: Args.string({ description: 'job id, or its last characters as tq prints them, or a prefix', required: true }) }
  static flags = { json: Flags.boolean({ description: 'print the job JSON (with its children and, for a workflow step, its workflow)' }) }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Job)
    const { job, children, workflow } = await this.withBroker(flags, async (broker) => {
      const id = await resolveJobId(broker, args.id)
      const job = await broker.getJob(id)
      if (!job) throw new TqError(`no job with id ${id}`, 'list jobs with tq jobs')
      const workflow = job.workflowId ? await broker.listJobs({ workflowId: job.workflowId, limit: MAX_WORKFLOW_STEPS }) : []
      return { job, children: await broker.children(job.id), workflow }
    }, { mustExist: true })
    if (flags.json) {
      const steps = workflow.map((s) => ({ id: s.id, task: s.task, state: s.state, dependsOn: s.dependsOn }))
      this.printJson({ ...job, children: children.map((c) => ({ id: c.id, task: c.task, state: c.state })), ...(job.workflowId ? { workflow: steps } : {}) })
    } else process.stdout.write(jobDetail(job, children, colors(), undefined, workflow) + '\n')
  }
}
