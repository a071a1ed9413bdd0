/**
 * The API's actions. Every one goes through the same library call as the CLI command that does
 * the same (src/cli-support), so `tq retry` and the Retry button cannot disagree.
 */
import { Client } from '../app/client.js'
import { UnknownTaskError, UsageError } from '../errors.js'
import { parsePayload } from '../cli-support/enqueue.js'
import { cancelJobs, purgeJobs, retryJobs } from '../cli-support/manage-jobs.js'
import { pauseQueue } from '../cli-support/pause-queue.js'
import { rerunJob } from '../cli-support/rerun.js'
import { registry, type ApiContext, type Handler } from './api-context.js'
import { HttpError, readJson, sendJson, stringField } from './http.js'

export const retry: Handler = async (c) => {
  const { requeued, refused } = await retryJobs(c.ctx.broker, [c.params[0]!], {})
  if (refused) throw refused
  sendJson(c.res, 200, { requeued })
}

export const retryFailed: Handler = async (c) => {
  const body = await readJson(c.req)
  const { requeued } = await retryJobs(c.ctx.broker, [], { failed: true, queue: stringField(body, 'queue') })
  sendJson(c.res, 200, { requeued })
}

export const cancel: Handler = async (c) => {
  const { cancelled, aborting, refused } = await cancelJobs(c.ctx.broker, [c.params[0]!])
  if (refused) throw refused
  sendJson(c.res, 200, { cancelled, aborting })
}

export const rerun: Handler = async (c) => {
  const handle = await rerunJob(c.ctx.broker, await client(c.ctx), c.params[0]!)
  sendJson(c.res, 201, { id: handle.id, created: handle.created })
}

export const setPaused =
  (paused: boolean): Handler =>
  async (c) => {
    const { note } = await pauseQueue(c.ctx.broker, c.params[0]!, paused)
    sendJson(c.res, 200, { queue: c.params[0], paused, note })
  }

export const purge: Handler = async (c) => {
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
export const enqueue: Handler = async (c) => {
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
