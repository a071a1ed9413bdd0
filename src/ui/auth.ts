/**
 * Who may talk to the dashboard. On a loopback address nobody else can reach the port, so no
 * token is needed (though one may be set); any other address requires a token, and every request
 * must carry it: an `Authorization: Bearer` or `X-TQ-Token` header (scripts), or the cookie a
 * first visit with `?token=` sets (browsers, so the token leaves the address bar at once).
 *
 * Without a token, two browser attacks on a loopback server remain, and both are refused: a page
 * on another site posting to 127.0.0.1 (POSTs must be JSON, from our own origin) and DNS
 * rebinding, a hostile name resolving to 127.0.0.1 (the Host header must be a loopback name).
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export const TOKEN_COOKIE = 'tq_ui_token'

/** Whether binding `host` keeps the server to this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  return isIP(h) === 4 && h.startsWith('127.')
}

/** Constant-time comparison: both sides hashed first, so neither length nor content leaks through timing. */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** The token a request carries, from a header or the cookie; undefined when none. */
export function tokenOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim()
  const header = req.headers['x-tq-token']
  if (typeof header === 'string') return header
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join('='))
  }
  return undefined
}

/** The cookie a successful `?token=` visit sets: not readable by scripts, never sent cross-site. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`
}

/** The Host header names this machine (not a rebound DNS name). */
export function loopbackHostHeader(req: IncomingMessage): boolean {
  const host = req.headers.host
  if (!host) return false
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!
  return isLoopback(name)
}

/** A state-changing request comes from our own pages or a script: JSON, and no foreign Origin. */
export function sameOriginWrite(req: IncomingMessage): boolean {
  const type = req.headers['content-type'] ?? ''
  if (!type.toLowerCase().startsWith('application/json')) return false
  const origin = req.headers.origin
  if (!origin) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
