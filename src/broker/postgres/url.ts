import type { ConnectionOptions } from 'node:tls'
import { urlDuration, urlPemFile } from '../url-options.js'
import { BrokerError } from '../../errors.js'
import { redactUrl } from '../redact.js'

/** What a `postgres://` or `postgresql://` broker URL says. */
export interface PostgresUrlConfig {
  host: string
  port: number
  database: string
  user: string | undefined
  password: string | undefined
  /** TLS options for node-postgres, or false for a plain connection. */
  ssl: false | ConnectionOptions
  sslmode: SslMode
  /** The schema that holds tq's tables (`tq` unless `?schema=` says otherwise). */
  schema: string
  /** Most connections the broker's pool opens for commands (the LISTEN connection is one more). */
  pool: number
  /** How long an operation waits for a (re)connection before failing, ms. */
  connectTimeoutMs: number
  /** The server-side limit on one statement (statement_timeout), ms. */
  statementTimeoutMs: number
  /**
   * false (`?synchronousCommit=off`): enqueues too commit without waiting for the WAL flush. A
   * crash of the database server (not a restart) may then lose the last fraction of a second of
   * enqueues, as Redis with `appendfsync everysec` may; default true (enqueue is durable).
   */
  synchronousCommit: boolean
  /** Shown in pg_stat_activity (`tq` unless `?application_name=` says otherwise). */
  applicationName: string
  /** The URL without secrets, for messages and `describe`. */
  describe: string
  /** Not from the URL: connections do not hold the process open while idle (the default client). */
  background?: boolean
}

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

export const DEFAULT_SCHEMA = 'tq'
/** A worker's claim, settle, renew and heartbeat can overlap; more than this only queues in the server. */
export const DEFAULT_POOL = 4
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000

const QUERY_PARAMS = ['schema', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'pool', 'connectTimeout', 'statementTimeout', 'synchronousCommit', 'application_name'] as const
const HINT = 'use postgres://[user[:pass]@]host[:port]/database[?schema=tq&sslmode=require]'

/**
 * Parses a Postgres broker URL: `postgres://[user[:pass]@]host[:port]/database[?query]` (or
 * `postgresql://`). User and password may be percent-encoded. Query: `schema` (tq's tables,
 * default `tq`), `sslmode` (libpq's names; `require` encrypts without checking the certificate,
 * `verify-ca` checks it against `sslrootcert` or the system CAs, `verify-full` also checks the
 * host name), `sslrootcert`/`sslcert`/`sslkey` (PEM files), `pool` (connections for commands,
 * default 4), `connectTimeout` (bounded wait for a connection, default 10 s), `statementTimeout`
 * (server-side bound on one statement, default 30 s), `synchronousCommit=off` (enqueues do not
 * wait for the WAL flush; see PostgresUrlConfig.synchronousCommit).
 */
export function parsePostgresUrl(url: string): PostgresUrlConfig {
  const safe = redactUrl(url)
  let u: URL
  try {
    u = new URL(url.trim())
  } catch {
    throw new BrokerError(`broker URL "${safe}" is not a valid Postgres URL`, HINT)
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase()
  if (scheme !== 'postgres' && scheme !== 'postgresql') throw new BrokerError(`broker URL "${safe}" is not a Postgres URL`, HINT)
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw new BrokerError(`broker URL "${safe}" has a badly encoded part`, 'percent-encode special characters, e.g. @ as %40')
    }
  }
  const host = decode(u.hostname.replace(/^\[(.*)\]$/, '$1')) || 'localhost'
  const port = u.port ? Number(u.port) : 5432
  const database = decode(u.pathname.replace(/^\/+|\/+$/g, ''))
  if (database === '') throw new BrokerError(`broker URL "${safe}" names no database`, 'put the database after the host, e.g. postgres://host:5432/app')
  const user = u.username ? decode(u.username) : undefined
  const password = u.password ? decode(u.password) : undefined

  for (const key of new Set(u.searchParams.keys())) {
    if (!(QUERY_PARAMS as readonly string[]).includes(key)) {
      throw new BrokerError(`broker URL "${safe}" has an unknown option "${key}"`, `the Postgres broker understands ${QUERY_PARAMS.map((p) => `?${p}=`).join(', ')}`)
    }
  }
  const schema = u.searchParams.get('schema') ?? DEFAULT_SCHEMA
  // Written into SQL as an identifier: only plain lower-case names, so no quoting question arises.
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(schema)) {
    throw new BrokerError(`broker URL "${safe}" has an invalid schema "${schema}"`, 'use lower-case letters, digits and _ (at most 48), e.g. ?schema=tq')
  }
  const modeText = (u.searchParams.get('sslmode') ?? 'prefer').toLowerCase()
  if (!(SSL_MODES as readonly string[]).includes(modeText)) {
    throw new BrokerError(`broker URL "${safe}" has an unknown sslmode "${modeText}"`, `use one of ${SSL_MODES.join(', ')}`)
  }
  const sslmode = modeText as SslMode
  const ssl = tlsOptions(u, sslmode, host, safe)
  const poolText = u.searchParams.get('pool')
  const pool = poolText === null ? DEFAULT_POOL : Number(poolText)
  if (!Number.isInteger(pool) || pool < 1 || pool > 100) throw new BrokerError(`broker URL "${safe}" has an invalid pool "${poolText}"`, 'use a whole number of connections from 1 to 100, e.g. ?pool=4')
  const connectTimeoutMs = urlDuration(u, 'connectTimeout', safe) ?? DEFAULT_CONNECT_TIMEOUT_MS
  const statementTimeoutMs = urlDuration(u, 'statementTimeout', safe) ?? DEFAULT_STATEMENT_TIMEOUT_MS

  const syncText = (u.searchParams.get('synchronousCommit') ?? 'on').toLowerCase()
  if (syncText !== 'on' && syncText !== 'off') throw new BrokerError(`broker URL "${safe}" has an invalid synchronousCommit "${syncText}"`, 'use ?synchronousCommit=on (the default: an enqueue is durable when it returns) or off')
  const synchronousCommit = syncText === 'on'
  const applicationName = u.searchParams.get('application_name') ?? 'tq'
  const auth = user !== undefined || password !== undefined ? `${user ?? ''}${password !== undefined ? ':***' : ''}@` : ''
  const hostPart = host.includes(':') ? `[${host}]` : host
  const query = [schema !== DEFAULT_SCHEMA ? `schema=${schema}` : '', ssl ? `sslmode=${sslmode}` : ''].filter(Boolean).join('&')
  const describe = `${scheme}://${auth}${hostPart}:${port}/${database}${query ? `?${query}` : ''}`
  return { host, port, database, user, password, ssl, sslmode, schema, pool, connectTimeoutMs, statementTimeoutMs, synchronousCommit, applicationName, describe }
}

/**
 * libpq's sslmode in node:tls terms. `disable`, `allow` and `prefer` connect without TLS (node-postgres
 * cannot fall back from one to the other, and a silent fallback is what `require` exists to
 * prevent); `require` encrypts and trusts any certificate (as libpq does without a root cert);
 * `verify-ca` checks the chain; `verify-full` checks the chain and the host name.
 */
function tlsOptions(u: URL, mode: SslMode, host: string, safe: string): false | ConnectionOptions {
  const files: ConnectionOptions = {}
  const read = (param: string) => urlPemFile(u, param, safe)
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') {
    if (['sslrootcert', 'sslcert', 'sslkey'].some((p) => u.searchParams.has(p))) {
      throw new BrokerError(`broker URL "${safe}" gives TLS files but sslmode=${mode} connects without TLS`, 'add ?sslmode=verify-full (or require) to use TLS')
    }
    return false
  }
  const ca = read('sslrootcert')
  const cert = read('sslcert')
  const key = read('sslkey')
  if ((cert === undefined) !== (key === undefined)) {
    throw new BrokerError(`broker URL "${safe}" gives ${cert ? 'sslcert without sslkey' : 'sslkey without sslcert'}`, 'a client certificate needs both ?sslcert= and ?sslkey=')
  }
  if (ca) files.ca = ca
  if (cert) files.cert = cert
  if (key) files.key = key
  if (mode === 'require') return { ...files, rejectUnauthorized: false }
  if (mode === 'verify-ca') return { ...files, rejectUnauthorized: true, checkServerIdentity: () => undefined }
  return { ...files, rejectUnauthorized: true, servername: /^[\d.]+$|:/.test(host) ? undefined : host }
}

