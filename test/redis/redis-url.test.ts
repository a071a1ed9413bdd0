import { describe, expect, it } from 'vitest'
import { parseBrokerUrl } from '../../src/broker/open-broker.js'
import { redactUrl } from '../../src/broker/redact.js'
import { keyBase, parseRedisUrl } from '../../src/broker/redis/url.js'
import { BrokerError } from '../../src/errors.js'

describe('Redis broker URL', () => {
  it('reads host, port, db, user and password (percent-decoded)', () => {
    const c = parseRedisUrl('redis://app:s3cr%40t%3A%2F@redis.internal:6380/3')
    expect(c.connection).toMatchObject({ host: 'redis.internal', port: 6380, db: 3, username: 'app', password: 's3cr@t:/' })
    expect(c.connection.tls).toBeUndefined()
    expect(c.prefix).toBe('tq:')
  })

  it('defaults to port 6379 and db 0, and supports a password without a user', () => {
    const c = parseRedisUrl('redis://:pw@localhost')
    expect(c.connection).toMatchObject({ host: 'localhost', port: 6379, db: 0, password: 'pw' })
    expect(c.connection.username).toBeUndefined()
  })

  it('turns TLS on for rediss://', () => {
    expect(parseRedisUrl('rediss://h:6380/0').connection.tls).toEqual({})
  })

  it('takes a key prefix and timeouts from the query', () => {
    const c = parseRedisUrl('redis://h:6379/0?prefix=app:jobs:&connectTimeout=2s&commandTimeout=750')
    expect(c).toMatchObject({ prefix: 'app:jobs:', connectTimeoutMs: 2000, commandTimeoutMs: 750 })
    expect(parseRedisUrl('redis://h').connectTimeoutMs).toBe(5000)
  })

  it('never puts the password in describe', () => {
    const c = parseRedisUrl('redis://app:hunter2@h:6379/1?prefix=x:')
    expect(c.describe).toBe('redis://app:***@h:6379/1?prefix=x:')
    expect(parseRedisUrl('rediss://:hunter2@h').describe).toBe('rediss://:***@h:6379/0')
    expect(parseRedisUrl('redis://h:6379').describe).toBe('redis://h:6379/0')
  })

  it('rejects unknown options, bad databases and bad timeouts with a BrokerError naming no secret', () => {
    for (const url of ['redis://u:hunter2@h/0?bogus=1', 'redis://u:hunter2@h/abc', 'redis://u:hunter2@h/0?connectTimeout=soon', 'redis://u:hunter2@h/0?prefix=a{b:']) {
      let err: unknown
      try {
        parseRedisUrl(url)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(BrokerError)
      expect((err as BrokerError).oneLine()).not.toContain('hunter2')
    }
  })

  it('redacts passwords even when they make the URL invalid', () => {
    expect(redactUrl('redis://u:pa/ss@h:6379/0')).toBe('redis://u:***@h:6379/0')
    expect(redactUrl('redis://:p@ss@h')).toBe('redis://:***@h')
    expect(redactUrl('redis://h:6379/0')).toBe('redis://h:6379/0')
    for (const url of ['redis://u:pa/ss@h:6379/0', 'redis://u:p@ss@h/0?bogus=1']) {
      const err = (() => {
        try {
          parseRedisUrl(url)
        } catch (e) {
          return e as BrokerError
        }
      })()
      expect(err).toBeInstanceOf(BrokerError)
      expect(err!.oneLine()).not.toMatch(/pa\/ss|p@ss|\*\*\*@ss/)
    }
  })

  it('is what openBroker hands over for redis:// and rediss://', () => {
    expect(parseBrokerUrl('rediss://u:p@h:6380/2', '/')).toEqual({ kind: 'redis', url: 'rediss://u:p@h:6380/2', tls: true })
  })

  it('puts every key of a broker under one hash tag', () => {
    expect(keyBase('tq:')).toBe('tq:{tq}:')
    expect(keyBase('app:jobs:')).toBe('app:jobs:{app:jobs}:')
    expect(keyBase('app:{q1}:')).toBe('app:{q1}:')
  })
})
