/**
 * The JSON API under /api: what the pages use and what scripts call (docs/ui.md lists it). Every
 * action goes through the same library calls as the CLI command that does it (src/cli-support),
 * so `tq retry` and the Retry button cannot disagree.
 */
import type { Registry } from '../loader/registry.js'
import type { Size } from '../app/size.js'
import { Client } from '../app/client.js'
import { describeSchedules, type ScheduleView } from '../beat/schedule-list.js'
import { JOB_STATES, type Broker, type JobFilter, type JobState } from '../broker/types.js'
import { BrokerError, TqError, UnknownTaskError, UsageError } from '../errors.js'
import { parsePayload } from '../cli-support/enqueue.js'
import { cancelJobs, purgeJobs, retryJobs } from '../cli-support/manage-jobs.js'
import { pauseQueue } from '../cli-support/pause-queue.js'
import { resolveJobId } from '../cli-support/resolve-job-id.js'
import { rerunJob } from '../cli-support/rerun.js'
import { describeWorkers } from '../status/workers-view.js'
import { HttpError, readJson, sendJson, stringField } from './http.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { readJobPage, summary, workflowSteps } from './job-views.js'
import type { OverviewReader } from './overview.js'

/** What the API serves from. */
export interface ApiContext {
  broker: Broker
  overview: OverviewReader
  /** The project's tasks (for the enqueue form and schedules); absent without a config. Called per use: tq dev reloads code. */
  tasks?: () => Promise<Registry>
  /** The config's maxPayload, as tq enqueue applies it. */
  maxPayload?: Size
}

export interface Call {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: string[]
  ctx: ApiContext
}

type Handler = (c: Call) => Promise<void>

/** Listing page sizes: the UI asks for 50; scripts may ask for up to 500 a page. */
const MAX_LIMIT = 500

const q = (c: Call, name: string): string | undefined => c.url.searchParams.get(name) || undefined

async function registry(ctx: ApiContext): Promise<Registry> {
  if (!ctx.tasks) throw new HttpError(409, 'no tq.config.ts: the task code is not loaded, so jobs cannot be enqueued from here (run tq ui in your project)')
  try {
    return await ctx.tasks()
  } catch (err) {
    throw new HttpError(409, `the task code does not load: ${(err as Error).message.split('\n')[0]}`)
  }
}

const getOverview: Handler = async (c) => sendJson(c.res, 200, await c.ctx.overview.read())

const listJobs: Handler = async (c) => {
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
const findJob: Handler = async (c) => {
  const text = q(c, 'q') ?? ''
  sendJson(c.res, 200, { id: await resolveJobId(c.ctx.broker, text) })
}

const getJob: Handler = async (c) => {
  const page = await readJobPage(c.ctx.broker, c.params[0]!)
  if (!page) throw new HttpError(404, `no job with id ${c.params[0]}`)
  sendJson(c.res, 200, page)
}

const getWorkflow: Handler = async (c) => sendJson(c.res, 200, await workflowSteps(c.ctx.broker, c.params[0]!))

const getWorkers: Handler = async (c) => sendJson(c.res, 200, { workers: await describeWorkers(c.ctx.broker) })

const getSchedules: Handler = async (c) => {
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

const getTasks: Handler = async (c) => {
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

// ---- actions -----------------------------------------------------------------------------

const retry: Handler = async (c) => {
  const { requeued, refused } = await retryJobs(c.ctx.broker, [c.params[0]!], {})
  if (refused) throw refused
  sendJson(c.res, 200, { requeued })
}

const retryFailed: Handler = async (c) => {
  const body = await readJson(c.req)
  const { requeued } = await retryJobs(c.ctx.broker, [], { failed: true, queue: stringField(body, 'queue') })
  sendJson(c.res, 200, { requeued })
}

const cancel: Handler = async (c) => {
  const { cancelled, aborting, refused } = await cancelJobs(c.ctx.broker, [c.params[0]!])
  if (refused) throw refused
  sendJson(c.res, 200, { cancelled, aborting })
}

const rerun: Handler = async (c) => {
  const handle = await rerunJob(c.ctx.broker, await client(c.ctx), c.params[0]!)
  sendJson(c.res, 201, { id: handle.id, created: handle.created })
}

const setPaused =
  (paused: boolean): Handler =>
  async (c) => {
    const { note } = await pauseQueue(c.ctx.broker, c.params[0]!, paused)
    sendJson(c.res, 200, { queue: c.params[0], paused, note })
  }

const purge: Handler = async (c) => {
  const body = await readJson(c.req)
  const deleted = await purgeJobs(c.ctx.broker, { queue: stringField(body, 'queue'), state: stringField(body, 'state'), all: body.all === true })
  sendJson(c.res, 200, { deleted })
}

async function client(ctx: ApiContext): Promise<Client> {
  // Closing a Client closes its broker, which is the server's: this one is simply dropped.
  return new Client(ctx.broker, await registry(ctx), { maxPayload: ctx.maxPayload })
}

/**
 * The enqueue form: `payload` is JSON text (as typed), parsed and checked exactly as
 * `tq enqueue <task> <json>` checks it (the task's schema, maxPayload, names); a refusal names
 * the field it concerns and writes nothing.
 */
const enqueue: Handler = async (c) => {
  const body = await readJson(c.req)
  const task = stringField(body, 'task')
  if (!task) throw new HttpError(400, 'choose a task', { field: 'task' })
  const text = body.payload === undefined ? undefined : typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload)
  let payload: unknown
  try {
    payload = parsePayload(text === undefined || text.trim() === '' ? undefined : text)
  } catch (err) {
    throw new HttpError(400, (err as Error).message, { field: 'payload' })
  }
  const priority = body.priority === undefined || body.priority === '' || body.priority === null ? undefined : Number(body.priority)
  const opts = { queue: stringField(body, 'queue'), delay: stringField(body, 'delay'), priority, key: stringField(body, 'key') }
  const cl = await client(c.ctx)
  try {
    const handle = await cl.enqueue(task as never, payload as never, opts)
    sendJson(c.res, 201, { id: handle.id, created: handle.created, queue: handle.queue })
  } catch (err) {
    if (err instanceof UnknownTaskError) throw new HttpError(400, err.oneLine(), { field: 'task' })
    if (err instanceof UsageError) throw new HttpError(400, err.oneLine(), { field: fieldOf(err.message) })
    throw err
  }
}

/** Which form field an enqueue refusal is about, from what it says. */
function fieldOf(message: string): string | undefined {
  if (/^payload|schema/i.test(message)) return 'payload'
  if (/priority/i.test(message)) return 'priority'
  if (/queue/i.test(message)) return 'queue'
  if (/delay|duration|time/i.test(message)) return 'delay'
  if (/key/i.test(message)) return 'key'
  return undefined
}

/** The route table: method, path pattern (groups are params), handler. */
export const ROUTES: [string, RegExp, Handler][] = [
  ['GET', /^\/api\/overview$/, getOverview],
  ['GET', /^\/api\/jobs$/, listJobs],
  ['GET', /^\/api\/find$/, findJob],
  ['GET', /^\/api\/jobs\/([^/]+)$/, getJob],
  ['GET', /^\/api\/workflows\/([^/]+)$/, getWorkflow],
  ['GET', /^\/api\/workers$/, getWorkers],
  ['GET', /^\/api\/schedules$/, getSchedules],
  ['GET', /^\/api\/tasks$/, getTasks],
  ['POST', /^\/api\/jobs\/([^/]+)\/retry$/, retry],
  ['POST', /^\/api\/jobs\/([^/]+)\/cancel$/, cancel],
  ['POST', /^\/api\/jobs\/([^/]+)\/rerun$/, rerun],
  ['POST', /^\/api\/retry-failed$/, retryFailed],
  ['POST', /^\/api\/queues\/([^/]+)\/pause$/, setPaused(true)],
  ['POST', /^\/api\/queues\/([^/]+)\/resume$/, setPaused(false)],
  ['POST', /^\/api\/purge$/, purge],
  ['POST', /^\/api\/enqueue$/, enqueue],
]

/** The HTTP status for an error a handler threw, and what the body says. */
export function errorResponse(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, ...err.extra } }
  if (err instanceof UsageError) return { status: 400, body: { error: err.oneLine() } }
  if (err instanceof BrokerError) return { status: 503, body: { error: err.oneLine() } }
  if (err instanceof TqError) return { status: /^no job (with id|matches)/.test(err.message) ? 404 : 409, body: { error: err.oneLine() } }
  return { status: 500, body: { error: (err as Error)?.message?.split('\n')[0] ?? String(err) } }
}
