/**
 * The dashboard's HTTP server (`tq ui`, and `tq dev` unless --no-ui): the built front end, the
 * JSON API under /api and the live event stream, on Node's own http module. Only `tq ui` and
 * `tq dev` import this module, so other commands never load it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Size } from '../app/size.js'
import type { Broker } from '../broker/types.js'
import { UsageError } from '../errors.js'
import type { Registry } from '../loader/registry.js'
import { errorResponse, ROUTES, type ApiContext } from './api.js'
import { isLoopback, loopbackHostHeader, sameOriginWrite, sameToken, tokenCookie, tokenOf } from './auth.js'
import { BASE_HEADERS, sendError, sendJson } from './http.js'
import { LiveFeed } from './live-feed.js'
import { OverviewReader } from './overview.js'
import { StaticFiles } from './static-files.js'

export const DEFAULT_UI_PORT = 5555
export const DEFAULT_UI_HOST = '127.0.0.1'

export interface UiServerOptions {
  broker: Broker
  /** Default 127.0.0.1. Any non-loopback address requires `token`. */
  host?: string
  /** Default 5555; 0 picks a free port. */
  port?: number
  /** When the port is taken, try the next ones (tq dev) instead of failing (tq ui). */
  findFreePort?: boolean
  /** Required off loopback; when set, every request must carry it. */
  token?: string
  tasks?: () => Promise<Registry>
  maxPayload?: Size
  /** Where the built front end is (default: the package's dist/ui). */
  assetsDir?: string
}

export interface UiServer {
  /** The address to open (without the token). */
  url: string
  /** The address to open first in a browser: with `?token=` when there is one. */
  openUrl: string
  close(): Promise<void>
}

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const host = opts.host ?? DEFAULT_UI_HOST
  const token = opts.token || undefined
  if (!isLoopback(host) && !token) {
    throw new UsageError(`serving the dashboard on ${host} needs a token: anyone who can reach the port could read and change your jobs`, 'pass --token <secret> or set TQ_UI_TOKEN, or bind 127.0.0.1')
  }
  const ctx: ApiContext = { broker: opts.broker, overview: new OverviewReader(opts.broker), tasks: opts.tasks, maxPayload: opts.maxPayload }
  const files = new StaticFiles(opts.assetsDir)
  const feed = new LiveFeed(opts.broker, () => ctx.overview.read())
  const server = createServer((req, res) => void handle(req, res))

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      return sendError(res, 400, 'bad request')
    }
    if (!authorised(req, res, url)) return
    const path = url.pathname
    if (path.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOriginWrite(req)) {
        return sendError(res, 403, 'actions must be JSON requests from the dashboard itself (Content-Type: application/json, same origin)')
      }
      if (path === '/api/events' && req.method === 'GET') return feed.subscribe(res)
      for (const [method, pattern, handler] of ROUTES) {
        const m = pattern.exec(path)
        if (!m || method !== (req.method === 'HEAD' ? 'GET' : req.method)) continue
        try {
          await handler({ req, res, url, params: m.slice(1).map(decodeURIComponent), ctx })
        } catch (err) {
          const { status, body } = errorResponse(err)
          if (!res.headersSent) sendJson(res, status, body)
          else res.end()
        }
        return
      }
      return sendError(res, 404, `no API route ${req.method} ${path}`)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method not allowed')
    if (path.startsWith('/assets/') && files.serveAsset(req, res, path.slice('/assets/'.length))) return
    if (path === '/' || path === '/index.html') return files.serveIndex(req, res)
    sendError(res, 404, 'not found')
  }

  /** Answers 401/403 itself and returns false when the request may not go on. */
  function authorised(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    if (!token) {
      // No token: loopback only, and the Host header must say so (DNS rebinding).
      if (loopbackHostHeader(req)) return true
      sendError(res, 403, 'this dashboard answers only to 127.0.0.1 / localhost')
      return false
    }
    const given = url.searchParams.get('token')
    if (given !== null && !url.pathname.startsWith('/api/') && req.method === 'GET') {
      if (sameToken(given, token)) {
        // Trade the token in the address for a cookie, and drop it from the address bar.
        url.searchParams.delete('token')
        res.writeHead(303, { ...BASE_HEADERS, 'Set-Cookie': tokenCookie(token), Location: url.pathname + url.search, 'Cache-Control': 'no-store' })
        res.end()
        return false
      }
    } else {
      const carried = tokenOf(req)
      if (carried !== undefined && sameToken(carried, token)) return true
    }
    res.writeHead(401, { ...BASE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'WWW-Authenticate': 'Bearer realm="tq"' })
    res.end('401 unauthorized: this dashboard needs its token (open the address tq ui printed, with ?token=, or send Authorization: Bearer <token>)\n')
    return false
  }

  const port = await listen(server, host, opts.port ?? DEFAULT_UI_PORT, opts.findFreePort ?? false)
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host
  const url = `http://${shown}:${port}/`
  return {
    url,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    async close() {
      await feed.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Listens on `port`, or with `findFree` on the first free one of the next ten, then any free
 * port (several tq dev side by side must all start); returns the port.
 */
async function listen(server: Server, host: string, port: number, findFree: boolean): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(attempt > 10 ? 0 : port + attempt, host, () => {
          server.off('error', reject)
          resolve()
        })
      })
      return (server.address() as AddressInfo).port
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EADDRINUSE' && findFree && port !== 0 && attempt <= 10) continue
      if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is in use`, 'pick another with --port, or --port 0 for any free one')
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`cannot listen on ${host}: not an address of this machine`, 'use --host 127.0.0.1, 0.0.0.0 or one of this machine\'s addresses')
      throw err
    }
  }
}
