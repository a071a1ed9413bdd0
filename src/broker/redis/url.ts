import type { RedisOptions } from 'ioredis'
import { urlDuration, urlPemFile } from '../url-options.js'
import { BrokerError } from '../../errors.js'
import { redactUrl } from '../redact.js'

/** What a `redis://` or `rediss://` broker URL says. */
export interface RedisUrlConfig {
  /** Connection options for ioredis (host, port, db, username, password, TLS). */
  connection: RedisOptions & { host: string; port: number; db: number }
  /** Key prefix, `tq:` unless `?prefix=` says otherwise. */
  prefix: string
  /** How long an operation waits for a (re)connection before failing, ms. */
  connectTimeoutMs: number
  /** How long a command may take before it fails, ms; undefined for no limit. */
  commandTimeoutMs: number | undefined
  /** The URL without secrets, for messages and `describe`. */
  describe: string
  /**
   * Not from the URL: set by the opener. The connections do not keep the process alive while
   * no operation is in flight (the default client of `task.enqueue()`, so a script can end).
   */
  background?: boolean
}

export const DEFAULT_PREFIX = 'tq:'
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000

const QUERY_PARAMS = ['prefix', 'connectTimeout', 'commandTimeout', 'tls_ca', 'tls_cert', 'tls_key'] as const
/** TLS files by query parameter, and the ioredis (node:tls) option each fills. */
const TLS_FILES = { tls_ca: 'ca', tls_cert: 'cert', tls_key: 'key' } as const
const HINT = 'use redis://[user:pass@]host:port/db[?prefix=tq:&connectTimeout=5s] or rediss://... for TLS'

/**
 * Parses a Redis broker URL: `redis://[user[:pass]@]host[:port][/db][?query]`, `rediss://` for
 * TLS. User and password may be percent-encoded. Query: `prefix` (key prefix, default `tq:`),
 * `connectTimeout` (bounded wait for a connection, e.g. `5000` or `5s`; default 5 s),
 * `commandTimeout` (optional limit on one command).
 */
export function parseRedisUrl(url: string): RedisUrlConfig {
  let u: URL
  try {
    u = new URL(url.trim())
  } catch {
    throw new BrokerError(`broker URL "${redactUrl(url)}" is not a valid Redis URL`, HINT)
  }
  const safe = redactUrl(url)
  const scheme = u.protocol.replace(/:$/, '').toLowerCase()
  if (scheme !== 'redis' && scheme !== 'rediss') throw new BrokerError(`broker URL "${safe}" is not a Redis URL`, HINT)

  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost'
  const port = u.port ? Number(u.port) : 6379
  const dbText = u.pathname.replace(/^\/+|\/+$/g, '')
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new BrokerError(`broker URL "${safe}" names database "${dbText}", which is not a number`, 'use /0 to /15 after the port, e.g. redis://localhost:6379/0')
  const db = dbText === '' ? 0 : Number(dbText)
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw new BrokerError(`broker URL "${safe}" has a badly encoded user or password`, 'percent-encode special characters, e.g. @ as %40')
    }
  }
  const username = u.username ? decode(u.username) : undefined
  const password = u.password ? decode(u.password) : undefined

  for (const key of new Set(u.searchParams.keys())) {
    if (!(QUERY_PARAMS as readonly string[]).includes(key)) {
      throw new BrokerError(`broker URL "${safe}" has an unknown option "${key}"`, `the Redis broker understands ${QUERY_PARAMS.map((p) => `?${p}=`).join(', ')}`)
    }
  }
  const prefix = u.searchParams.get('prefix') ?? DEFAULT_PREFIX
  if (prefix === '') throw new BrokerError(`broker URL "${safe}" has an empty prefix`, 'use ?prefix=tq: or leave it out')
  if (/[{}]/.test(prefix) && !/^[^{}]*\{[^{}]+\}[^{}]*$/.test(prefix)) {
    throw new BrokerError(`broker URL "${safe}" has a prefix with unbalanced braces`, 'braces in a prefix must form one hash tag, e.g. ?prefix=app:{tq}:')
  }
  const connectTimeoutMs = urlDuration(u, 'connectTimeout', safe) ?? DEFAULT_CONNECT_TIMEOUT_MS
  const commandTimeoutMs = urlDuration(u, 'commandTimeout', safe)

  const connection: RedisUrlConfig['connection'] = { host, port, db }
  if (username !== undefined) connection.username = username
  if (password !== undefined) connection.password = password
  // Node derives the TLS server name (SNI) and the certificate check from the host.
  if (scheme === 'rediss') connection.tls = tlsFiles(u, safe)
  else if (Object.keys(TLS_FILES).some((k) => u.searchParams.has(k))) {
    throw new BrokerError(`broker URL "${safe}" gives TLS files to a plain redis:// connection`, 'use rediss:// for TLS')
  }

  const auth = username !== undefined || password !== undefined ? `${username ?? ''}${password !== undefined ? ':***' : ''}@` : ''
  const hostPart = host.includes(':') ? `[${host}]` : host
  const query = prefix !== DEFAULT_PREFIX ? `?prefix=${prefix}` : ''
  const describe = `${scheme}://${auth}${hostPart}:${port}/${db}${query}`
  return { connection, prefix, connectTimeoutMs, commandTimeoutMs, describe }
}

/**
 * `?tls_ca=/path/ca.pem&tls_cert=/path/client.pem&tls_key=/path/client.key`: the CA that signed
 * the server's certificate (when it is not a public one) and the client certificate and key
 * for servers that require one (`tls-auth-clients yes`). Read once, here.
 */
function tlsFiles(u: URL, safe: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}
  for (const [param, option] of Object.entries(TLS_FILES)) {
    const pem = urlPemFile(u, param, safe)
    if (pem) tls[option] = pem
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new BrokerError(`broker URL "${safe}" gives ${tls.cert ? 'tls_cert without tls_key' : 'tls_key without tls_cert'}`, 'a client certificate needs both ?tls_cert= and ?tls_key=')
  }
  return tls
}

/**
 * The key base every key starts with: the prefix, then a hash tag shared by all of the
 * broker's keys (the prefix without its trailing colons), so they live in one Redis Cluster
 * slot: `tq:` gives `tq:{tq}:`. A prefix that already holds a hash tag is used as it is.
 */
export function keyBase(prefix: string): string {
  if (/\{[^{}]+\}/.test(prefix)) return prefix
  const tag = prefix.replace(/:+$/, '') || 'tq'
  return `${prefix}{${tag}}:`
}
