/**
 * What every API handler gets: the request, the response, the parsed URL, the path's parameters
 * and what the server serves from (the broker, the task code).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Size } from '../app/size.js'
import type { Broker } from '../broker/types.js'
import type { Registry } from '../loader/registry.js'
import { HttpError } from './http.js'
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

export type Handler = (c: Call) => Promise<void>

/** A query parameter, undefined when absent or empty. */
export const query = (c: Call, name: string): string | undefined => c.url.searchParams.get(name) || undefined

/** The project's tasks; a 409 saying why when there are none to load or they do not load. */
export async function registry(ctx: ApiContext): Promise<Registry> {
  if (!ctx.tasks) throw new HttpError(409, 'no tq.config.ts: the task code is not loaded, so jobs cannot be enqueued from here (run tq ui in your project)')
  try {
    return await ctx.tasks()
  } catch (err) {
    throw new HttpError(409, `the task code does not load: ${(err as Error).message.split('\n')[0]}`)
  }
}
