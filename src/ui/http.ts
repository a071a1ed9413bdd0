/**
 * Small helpers over Node's http module: the dashboard's server needs no framework, only JSON
 * in and out, a route table and a few headers every response carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Headers on every response: no sniffing, no framing by other sites, no referrer leaking a token. */
export const BASE_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
}

/** A JSON response. API data is never cached: it is live. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

/** An error as the API reports it: `{ error, hint? }`, and for form fields the field it concerns. */
export function sendError(res: ServerResponse, status: number, error: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { error, ...extra })
}

/** Largest request body read (an enqueue payload); tq's own default maxPayload is 1 MiB. */
const MAX_BODY = 8 * 1024 * 1024

/** Thrown for a request the API refuses before doing anything; the router answers with it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** Reads a JSON body (POST); an empty body is `{}`. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'request body is not JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpError(400, 'request body must be a JSON object')
  return value as Record<string, unknown>
}

/** A string field of a body or query, or undefined; anything else is a 400. */
export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name]
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v !== 'string') throw new HttpError(400, `${name} must be a string`, { field: name })
  return v
}
