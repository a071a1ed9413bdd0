import { existsSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { BrokerError } from '../errors.js'
import { redactUrl } from './redact.js'
import type { Broker } from './types.js'

export type BrokerUrl =
  | { kind: 'sqlite'; file: string }
  | { kind: 'redis'; url: string; tls: boolean }
  | { kind: 'postgres'; url: string }

/**
 * Parses a broker URL. `sqlite://` paths are relative to `baseDir` (the config file's folder):
 * `sqlite://.tq/tq.db`, `sqlite:///abs/path/tq.db`.
 */
export function parseBrokerUrl(url: string, baseDir: string): BrokerUrl {
  const m = /^([a-z]+):\/\/(.*)$/i.exec(url.trim())
  const scheme = m?.[1]?.toLowerCase()
  if (scheme === 'sqlite') {
    const rest = m![2]!.split('?')[0]!
    if (!rest) throw new BrokerError(`broker URL "${url}" has no database path`, 'use sqlite://.tq/tq.db')
    const file = rest.startsWith('/') ? rest : resolve(baseDir, rest)
    return { kind: 'sqlite', file: isAbsolute(file) ? file : resolve(file) }
  }
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(url)
    } catch {
      throw new BrokerError(`broker URL "${redact(url)}" is not a valid Redis URL`, 'use redis://[user:pass@]host:port/db or rediss://... for TLS')
    }
    return { kind: 'redis', url, tls: scheme === 'rediss' }
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    try {
      new URL(url)
    } catch {
      throw new BrokerError(`broker URL "${redact(url)}" is not a valid Postgres URL`, 'use postgres://[user[:pass]@]host[:port]/database[?schema=tq&sslmode=require]')
    }
    return { kind: 'postgres', url }
  }
  throw new BrokerError(`broker URL "${redact(url)}" is not understood`, 'use sqlite://.tq/tq.db, redis://host:6379/0, rediss://host:6380/0 or postgres://host:5432/db')
}

/** A URL with its password hidden, safe to print or log. */
export const redact = redactUrl

export interface OpenOptions {
  /** Refuse to create a new SQLite database (commands that only read or change existing jobs). */
  mustExist?: boolean
  /** Connections that do not keep the process alive while idle (the default client). SQLite holds none. */
  background?: boolean
}

/** Opens the broker a URL names. Drivers load lazily, so a producer pays only for the one it uses. */
export async function openBroker(url: string, baseDir: string, opts: OpenOptions = {}): Promise<Broker> {
  const parsed = parseBrokerUrl(url, baseDir)
  if (parsed.kind === 'sqlite') {
    if (opts.mustExist && !existsSync(parsed.file)) {
      throw new BrokerError(`no tq database at ${parsed.file}`, 'start tq dev or tq worker first, or check --broker / TQ_BROKER_URL')
    }
    const [{ SqliteBroker }, { withStorageErrors }] = await Promise.all([import('./sqlite/sqlite-broker.js'), import('./sqlite/storage-errors.js')])
    return withStorageErrors(new SqliteBroker(parsed.file), parsed.file)
  }
  if (parsed.kind === 'postgres') {
    // node-postgres loads only here: a producer on SQLite or Redis never pays for it.
    const { PostgresBroker } = await import('./postgres/postgres-broker.js')
    return PostgresBroker.connect(parsed.url, { background: opts.background, mustExist: opts.mustExist })
  }
  const { RedisBroker } = await import('./redis/redis-broker.js')
  return RedisBroker.connect(parsed.url, { background: opts.background })
}
