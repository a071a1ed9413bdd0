import pg from 'pg'
import { BrokerError } from '../../errors.js'
import type { PostgresUrlConfig } from './url.js'

/** What an operation runs its statements on: a pooled connection, for the length of the operation. */
export interface Db {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
  /**
   * The rows as arrays of column values (node-postgres's rowMode 'array'): no object with every
   * column's name per row, for the hot statements that return one compact column (claim, settle).
   */
  values<T extends unknown[] = unknown[]>(text: string, values?: unknown[]): Promise<T[]>
}

/** node-postgres returns bigint as text; tq's times and tokens fit in a double (epoch ms, counters). */
const INT8 = 20
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
}

/** SQLSTATE classes and codes that mean "the server is not there right now": wait and try again. */
const TRANSIENT_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004', '53300'])
const NETWORK = /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|terminating connection|the database system is (starting up|shutting down|in recovery)|Query read timeout|timeout exceeded when trying to connect/i

/** deadlock_detected, serialization_failure: the server rolled the transaction back; it may simply run again. */
const ROLLED_BACK = new Set(['40P01', '40001'])

/** Whether an error says the connection or the server went away (rather than the statement being wrong). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return (e.code !== undefined && TRANSIENT_CODES.has(e.code)) || NETWORK.test(`${e.code ?? ''} ${e.message ?? ''}`)
}

/** Errors that waiting will not fix: wrong credentials, no such database, TLS refused. */
function fatalConnectError(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  return e.code === '28P01' || e.code === '28000' || e.code === '3D000' || /does not support SSL|self[- ]signed|certificate|altnames|unable to verify|SSL/i.test(e.message ?? '')
}

/**
 * The broker's connections: a pool of at most `cfg.pool` for commands (a worker's claim, settle,
 * renew and heartbeat may overlap). Every operation goes through exec(): it waits at most
 * `connectTimeout` for a connection (through a Postgres restart, say), and turns failures into one
 * BrokerError that says whether the operation may have been applied. A statement that hangs is
 * bounded by the server (statement_timeout) and, should the network hang, by the client
 * (query_timeout, a little later), after which the connection is discarded.
 */
export class PgConnection {
  readonly pool: pg.Pool
  private closed = false
  private lastError: Error | undefined

  /**
   * `names`: statement text -> name, for the statements sent as named prepared statements. Each
   * connection then parses and plans them once, not on every call (node-postgres prepares a name
   * on a connection the first time it is used there).
   */
  constructor(
    private readonly cfg: PostgresUrlConfig,
    private readonly describe: string,
    private readonly names: ReadonlyMap<string, string> = new Map(),
  ) {
    this.pool = new pg.Pool({
      ...clientConfig(cfg),
      max: cfg.pool,
      idleTimeoutMillis: 30_000,
      // The default client of task.enqueue(): an idle pool does not keep a script running.
      allowExitOnIdle: cfg.background === true,
    })
    // An idle connection dropped by the server (restart, admin kill) is removed by the pool;
    // without a listener its error would end the process.
    this.pool.on('error', (err) => {
      this.lastError = err
    })
    // A checked-out connection that the server drops between two statements (a restart during
    // a transaction) emits 'error' on the client itself: keep it for the message; the statement
    // that follows fails and exec() discards the connection.
    this.pool.on('connect', (client) => {
      client.on('error', (err) => {
        this.lastError = err
      })
    })
  }

  /**
   * Runs `fn` on a pooled connection. A failure to connect is retried until `connectTimeout`
   * (nothing was sent). A connection lost while a statement was in flight is retried once only
   * when `retry` says the operation is safe to repeat (reads, idempotent writes); otherwise it
   * fails saying the operation may or may not have been applied.
   */
  async exec<T>(what: string, fn: (db: Db) => Promise<T>, retry = false): Promise<T> {
    const deadline = Date.now() + this.cfg.connectTimeoutMs
    for (let attempt = 0; ; attempt++) {
      const client = await this.connect(deadline)
      const db: Db = {
        query: (text, values) => {
          const name = this.names.get(text)
          return client.query(name ? { name, text, values } : { text, values })
        },
        values: async <T extends unknown[]>(text: string, values?: unknown[]) => {
          const name = this.names.get(text)
          return (await client.query<T>({ name, text, values, rowMode: 'array' })).rows
        },
      }
      try {
        const out = await fn(db)
        client.release()
        return out
      } catch (err) {
        const lost = isConnectionError(err)
        // A connection that failed is discarded, not handed to the next operation.
        client.release(lost ? (err as Error) : undefined)
        if (err instanceof BrokerError) throw err
        if (lost && !this.closed && (retry || (err as { notSent?: boolean }).notSent) && attempt < 3 && Date.now() < deadline) continue
        // A deadlock or serialisation failure rolled the whole transaction back: run it again.
        if (ROLLED_BACK.has((err as { code?: string }).code ?? '') && !this.closed && attempt < 5 && Date.now() < deadline) continue
        const e = err as Error & { code?: string }
        throw lost
          ? new BrokerError(`${what} failed: lost the connection to Postgres at ${this.describe} (${firstLine(e)})`, 'the operation may not have been applied; check Postgres and try again')
          : new BrokerError(`${what} failed: Postgres at ${this.describe} answered ${e.code ? `${e.code} ` : ''}${firstLine(e)}`, 'check the Postgres server and its logs')
      }
    }
  }

  /**
   * Runs `fn` in a transaction. A failure before COMMIT was sent leaves nothing applied (the
   * server rolls back a transaction whose connection dies), so it is always safe to retry; a
   * connection lost during COMMIT leaves the outcome unknown.
   */
  async tx<T>(what: string, fn: (db: Db) => Promise<T>, retry = false): Promise<T> {
    return this.exec(
      what,
      async (db) => {
        let out: T
        try {
          await db.query('BEGIN')
          out = await fn(db)
        } catch (err) {
          if (isConnectionError(err)) throw Object.assign(err as Error, { notSent: true })
          await db.query('ROLLBACK').catch(() => undefined)
          throw err
        }
        await db.query('COMMIT')
        return out
      },
      retry,
    )
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end().catch(() => undefined)
  }

  /** A pooled connection, waiting through refusals (a restart) until the deadline. */
  private async connect(deadline: number): Promise<pg.PoolClient> {
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      if (this.closed) throw new BrokerError(`the Postgres broker ${this.describe} is closed`)
      try {
        return await this.pool.connect()
      } catch (err) {
        this.lastError = err as Error
        if (fatalConnectError(err)) throw connectFailed(err as Error, this.describe, this.cfg)
        if (Date.now() + wait >= deadline) throw unreachable(err as Error, this.describe, this.cfg)
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }
}

/** node-postgres options for a URL's connections (the pool's and the LISTEN one). */
export function clientConfig(cfg: PostgresUrlConfig): pg.ClientConfig {
  return {
    host: cfg.host,
    port: cfg.port,
    database: cfg.database,
    user: cfg.user,
    password: cfg.password,
    ssl: cfg.ssl === false ? false : cfg.ssl,
    application_name: cfg.applicationName,
    connectionTimeoutMillis: Math.min(cfg.connectTimeoutMs, 10_000),
    statement_timeout: cfg.statementTimeoutMs,
    // The server ends a statement at statement_timeout; this catches a network that hangs.
    query_timeout: cfg.statementTimeoutMs + 5000,
    // A transaction left open by a client that stalled must not hold locks (and leases) forever.
    idle_in_transaction_session_timeout: Math.max(cfg.statementTimeoutMs, 60_000),
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    types,
    // Opted out of durable enqueues: the session's default (claims and settles are asynchronous anyway).
    ...(cfg.synchronousCommit ? {} : { options: '-c synchronous_commit=off' }),
  }
}

export function firstLine(err: Error): string {
  return String(err.message ?? err).split('\n')[0]!
}

function connectFailed(err: Error & { code?: string }, describe: string, cfg: PostgresUrlConfig): BrokerError {
  const msg = firstLine(err)
  if (err.code === '28P01' || err.code === '28000') return new BrokerError(`Postgres at ${describe} refused the credentials: ${msg}`, 'check the user and password in the broker URL (and pg_hba.conf)')
  if (err.code === '3D000') return new BrokerError(`Postgres at ${describe}: ${msg}`, `create it (createdb ${cfg.database}) or name another database in the broker URL`)
  if (/does not support SSL/i.test(msg)) return new BrokerError(`Postgres at ${describe} does not accept TLS connections`, 'turn ssl on in the server, or use ?sslmode=disable on a trusted network')
  if (/altnames|Hostname\/IP does not match/i.test(msg)) return new BrokerError(`Postgres at ${describe}: the server's TLS certificate is for another host (${msg})`, `connect with a name the certificate lists, or use ?sslmode=verify-ca`)
  if (/self[- ]signed|unable to verify|unable to get|certificate/i.test(msg)) return new BrokerError(`Postgres at ${describe}: the server's TLS certificate is not trusted (${msg})`, 'give its CA file with ?sslrootcert=/path/ca.pem, or use ?sslmode=require to encrypt without checking')
  return new BrokerError(`cannot connect to Postgres at ${describe}: ${msg}`, 'check the broker URL and the server')
}

function unreachable(err: Error, describe: string, cfg: PostgresUrlConfig): BrokerError {
  return new BrokerError(
    `cannot reach Postgres at ${describe} (waited ${cfg.connectTimeoutMs} ms: ${firstLine(err)})`,
    'check that Postgres is running and the broker URL is right; add ?connectTimeout=30s to wait longer',
  )
}
