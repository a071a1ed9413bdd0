/**
 * The API's reads: what each page shows, and what scripts list (docs/ui.md). Each reads the
 * broker through the same functions as the CLI command that shows the same (tq status, tq jobs,
 * tq job, tq workers, tq schedules).
 */
import { describeSchedules, type ScheduleView } from '../beat/schedule-list.js'
import { JOB_STATES, type JobFilter, type JobState } from '../broker/types.js'
import { resolveJobId } from '../cli-support/resolve-job-id.js'
import { describeWorkers } from '../status/workers-view.js'
import { query as q, registry, type Handler } from './api-context.js'
import { HttpError, sendJson } from './http.js'
import { readJobPage, summary, workflowSteps } from './job-views.js'

/** Listing page sizes: the UI asks for 50; scripts may ask for up to 500 a page. */
const MAX_LIMIT = 500

export const getOverview: Handler = async (c) => sendJson(c.res, 200, await c.ctx.overview.read())

export const listJobs: Handler = async (c) => {
  const state = q(c, 'state')
  if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) throw new HttpError(400, `unknown state "${state}": use one of ${JOB_STATES.join(', ')}`, { field: 'state' })
  const limit = int(q(c, 'limit') ?? '50', 'limit', 1, MAX_LIMIT)
  const offset = int(q(c, 'offset') ?? '0', 'offset', 0, Number.MAX_SAFE_INTEGER)
  const filter: JobFilter = { state: state as JobState | undefined, queue: q(c, 'queue'), task: q(c, 'task'), workflowId: q(c, 'workflow'), offset, limit: limit + 1 }
  const kept = await c.ctx.broker.listJobs(filter)
  sendJson(c.res, 200, { jobs: kept.slice(0, limit).map(summary), offset, limit, hasMore: kept.length > limit })
}

function int(text: string, name: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name} must be an integer from ${min} to ${max}`, { field: name })
  return n
}

/** A whole id, a short id as tq prints it, or a prefix: the id it names (as `tq job` resolves it). */
export const findJob: Handler = async (c) => {
  const text = q(c, 'q') ?? ''
  sendJson(c.res, 200, { id: await resolveJobId(c.ctx.broker, text) })
}

export const getJob: Handler = async (c) => {
  const page = await readJobPage(c.ctx.broker, c.params[0]!)
  if (!page) throw new HttpError(404, `no job with id ${c.params[0]}`)
  sendJson(c.res, 200, page)
}

export const getWorkflow: Handler = async (c) => sendJson(c.res, 200, await workflowSteps(c.ctx.broker, c.params[0]!))

export const getWorkers: Handler = async (c) => sendJson(c.res, 200, { workers: await describeWorkers(c.ctx.broker) })

export const getSchedules: Handler = async (c) => {
  let schedules: ScheduleView[]
  let note: string | undefined
  try {
    schedules = await describeSchedules((await registry(c.ctx)).schedules, c.ctx.broker)
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    // Without the task code, show what beat saved in the broker (no next runs beyond the first).
    note = err.message
    schedules = await Promise.all(
      (await c.ctx.broker.listSchedules()).map(async (r) => {
        const job = r.lastJobId ? await c.ctx.broker.getJob(r.lastJobId) : null
        return {
          name: r.name,
          task: r.task,
          expression: r.expression,
          tz: r.tz,
          catchUp: '?',
          next: r.nextAt ? [new Date(r.nextAt).toISOString()] : [],
          lastRun: r.lastSlotAt != null ? new Date(r.lastSlotAt).toISOString() : null,
          lastJob: r.lastJobId ? { id: r.lastJobId, state: job?.state ?? ('purged' as const) } : null,
          origin: '',
        }
      }),
    )
  }
  sendJson(c.res, 200, { schedules, note })
}

export const getTasks: Handler = async (c) => {
  try {
    const reg = await registry(c.ctx)
    const tasks = [...reg.tasks.values()]
      .map((t) => ({ name: t.name, queue: t.options.queue ?? 'default', priority: t.options.priority ?? 0, schema: t.options.schema !== undefined }))
      .sort((a, b) => a.name.localeCompare(b.name))
    sendJson(c.res, 200, { loaded: true, tasks })
  } catch (err) {
    if (!(err instanceof HttpError)) throw err
    sendJson(c.res, 200, { loaded: false, error: err.message, tasks: [] })
  }
}
