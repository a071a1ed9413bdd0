/**
 * The JSON API under /api: the route table and how errors become statuses. The pages use it and
 * scripts call it (docs/ui.md lists every route).
 */
import { BrokerError, TqError, UsageError } from '../errors.js'
import { cancel, enqueue, purge, rerun, retry, retryFailed, setPaused } from './api-actions.js'
import type { Handler } from './api-context.js'
import { findJob, getJob, getOverview, getSchedules, getTasks, getWorkers, getWorkflow, listJobs } from './api-reads.js'
import { HttpError } from './http.js'

export type { ApiContext } from './api-context.js'

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
