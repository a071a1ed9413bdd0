/** The dashboard's request guards, as functions: loopback names, token comparison, same-origin writes, Host checks. */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { isLoopback, loopbackHostHeader, sameOriginWrite, sameToken, tokenOf, TOKEN_COOKIE } from '../../src/ui/auth.js'

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage

describe('dashboard guards', () => {
  it('knows loopback addresses from the rest', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopback(h), h).toBe(true)
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com', '128.0.0.1']) expect(isLoopback(h), h).toBe(false)
  })

  it('compares tokens whatever their lengths, and finds them in a header or the cookie', () => {
    expect(sameToken('abc', 'abc')).toBe(true)
    expect(sameToken('abc', 'abd')).toBe(false)
    expect(sameToken('', 'abc')).toBe(false)
    expect(sameToken('abc'.repeat(100), 'abc')).toBe(false)
    expect(tokenOf(req({ authorization: 'Bearer s3' }))).toBe('s3')
    expect(tokenOf(req({ 'x-tq-token': 's4' }))).toBe('s4')
    expect(tokenOf(req({ cookie: `a=1; ${TOKEN_COOKIE}=s%205; b=2` }))).toBe('s 5')
    expect(tokenOf(req({}))).toBeUndefined()
  })

  it('takes writes only as JSON from its own origin, and requests only for a loopback Host', () => {
    expect(sameOriginWrite(req({ 'content-type': 'application/json', host: '127.0.0.1:5555' }))).toBe(true)
    expect(sameOriginWrite(req({ 'content-type': 'application/json', host: '127.0.0.1:5555', origin: 'http://127.0.0.1:5555' }))).toBe(true)
    expect(sameOriginWrite(req({ 'content-type': 'application/json', host: '127.0.0.1:5555', origin: 'http://evil.example' }))).toBe(false)
    expect(sameOriginWrite(req({ 'content-type': 'text/plain', host: '127.0.0.1:5555' }))).toBe(false)
    expect(sameOriginWrite(req({ host: '127.0.0.1:5555' }))).toBe(false)
    expect(loopbackHostHeader(req({ host: 'localhost:5555' }))).toBe(true)
    expect(loopbackHostHeader(req({ host: '[::1]:5555' }))).toBe(true)
    expect(loopbackHostHeader(req({ host: 'rebound.evil.example:5555' }))).toBe(false)
    expect(loopbackHostHeader(req({}))).toBe(false)
  })
})
