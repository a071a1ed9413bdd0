import { Redis, ReplyError, type RedisOptions } from 'ioredis'
import { BrokerError } from '../../errors.js'
import { firstLine } from './codec.js'
import type { RedisUrlConfig } from './url.js'

/** ioredis refused to send: the connection is down (and there is no offline queue). */
const NOT_SENT = /Stream isn't writeable|enableOfflineQueue/
const AUTH_ERROR = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|user is disabled/i

/** ioredis options for a URL's connection: reconnect forever, each operation bounds its own wait. */
export function connectionOptions(cfg: RedisUrlConfig, overrides: RedisOptions): RedisOptions {
  return {
    ...cfg.connection,
    connectTimeout: Math.min(cfg.connectTimeoutMs, 10_000),
    commandTimeout: cfg.commandTimeoutMs,
    // Reconnect forever, at most a second apart; operations bound their own wait.
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    keepAlive: 10_000,
    ...overrides,
  }
}

/** A connection for a URL; with `background`, its socket and reconnect timer do not hold the process open. */
export function openRedis(cfg: RedisUrlConfig, overrides: RedisOptions): Redis {
  const redis = new Redis(connectionOptions(cfg, overrides))
  if (cfg.background) {
    redis.on('connect', () => redis.stream?.unref?.())
    // ioredis keeps its reconnect timer in a field it does not declare.
    redis.on('reconnecting', () => (redis as unknown as { reconnectTimeout?: NodeJS.Timeout | null }).reconnectTimeout?.unref?.())
  }
  return redis
}

/**
 * Holds the process open while operations are in flight, for background connections whose
 * sockets do not: a script awaiting an enqueue must not exit half-way, and an idle one may end.
 */
class LoopHold {
  private busy = 0
  private timer: NodeJS.Timeout | undefined

  async around<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy++ === 0) this.timer = setInterval(() => undefined, 1 << 30)
    try {
      return await fn()
    } finally {
      if (--this.busy === 0) clearInterval(this.timer)
    }
  }
}

/**
 * The broker's command connection. No offline queue: an operation waits (at most
 * `connectTimeout`) for the connection to be ready, then runs; failures become one BrokerError
 * that says whether the operation may have been applied.
 */
export class RedisConnection {
  readonly redis: Redis
  private closed = false
  private lastError: Error | undefined
  private readonly readyWaiters = new Set<{ done: (err?: BrokerError) => void }>()
  private readonly hold: LoopHold | undefined

  constructor(
    private readonly cfg: RedisUrlConfig,
    private readonly describe: string,
  ) {
    this.hold = cfg.background ? new LoopHold() : undefined
    this.redis = openRedis(cfg, {
        // No offline queue: a command issued while disconnected fails at once instead of
        // running at some unknown later time; `exec` waits for the reconnection instead.
        enableOfflineQueue: false,
        // A command in flight when the connection drops fails (it may or may not have run).
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectionName: 'tq',
    })
    this.watch()
  }

  /** Waits until Redis answers (at most `connectTimeout`) on the database the URL names, or throws. */
  open(): Promise<void> {
    return this.hold ? this.hold.around(() => this.openNow()) : this.openNow()
  }

  private async openNow(): Promise<void> {
    await this.ready(Date.now() + this.cfg.connectTimeoutMs)
    // ioredis reports a failed SELECT only as an error event and stays on db 0: check.
    const db = /\bdb=(\d+)/.exec(String(await this.redis.client('INFO')))?.[1]
    if (db !== undefined && Number(db) !== this.cfg.connection.db) {
      throw new BrokerError(`Redis database ${this.cfg.connection.db} does not exist on ${this.describe}`, 'use a database number the server has, 0-15 by default')
    }
  }

  /**
   * Runs one broker operation: waits (bounded) for the connection, and turns failures into a
   * BrokerError. `retry`: the operation is safe to run twice, so a call cut off by a lost
   * connection is tried once more after reconnecting.
   */
  exec<T>(what: string, fn: () => Promise<T>, retry = false): Promise<T> {
    return this.hold ? this.hold.around(() => this.execNow(what, fn, retry)) : this.execNow(what, fn, retry)
  }

  private async execNow<T>(what: string, fn: () => Promise<T>, retry: boolean): Promise<T> {
    const deadline = Date.now() + this.cfg.connectTimeoutMs
    for (let attempt = 0; ; attempt++) {
      await this.ready(deadline)
      try {
        return await fn()
      } catch (err) {
        if (err instanceof BrokerError) throw err
        // Never sent (the socket died before ioredis noticed): safe to try again for any operation.
        if (NOT_SENT.test((err as Error).message) && !this.closed) {
          if (Date.now() >= deadline) throw this.unreachable()
          await new Promise((r) => setTimeout(r, 20))
          attempt--
          continue
        }
        const lost = !(err instanceof ReplyError)
        if (lost && retry && attempt === 0 && !this.closed) continue
        const e = err as Error
        throw lost
          ? new BrokerError(`${what} failed: lost the connection to Redis at ${this.describe} (${firstLine(e)})`, 'the operation may not have been applied; check Redis and try again')
          : new BrokerError(`${what} failed: Redis at ${this.describe} answered ${firstLine(e)}`, 'check the Redis server (memory, persistence, ACL permissions) and its logs')
      }
    }
  }

  /** Runs `fn` (a command sent outside exec(), e.g. a best-effort PUBLISH) holding the process open on a background connection. */
  held<T>(fn: () => Promise<T>): Promise<T> {
    return this.hold ? this.hold.around(fn) : fn()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const w of [...this.readyWaiters]) w.done(new BrokerError(`the Redis broker ${this.describe} is closed`))
    const quit = () => this.redis.quit().catch(() => undefined)
    if (this.redis.status === 'ready') await (this.hold ? this.hold.around(quit) : quit())
    this.redis.disconnect()
  }

  /** Resolves once the connection is ready, or throws a BrokerError at the deadline. */
  private ready(deadline: number): Promise<void> {
    if (this.closed) return Promise.reject(new BrokerError(`the Redis broker ${this.describe} is closed`))
    if (this.redis.status === 'ready') return Promise.resolve()
    if (this.lastError && AUTH_ERROR.test(this.lastError.message)) return Promise.reject(this.authFailed(this.lastError))
    return new Promise((resolve, reject) => {
      const waiter = {
        done: (err?: BrokerError) => {
          clearTimeout(timer)
          this.readyWaiters.delete(waiter)
          if (err) reject(err)
          else resolve()
        },
      }
      const timer = setTimeout(() => waiter.done(this.unreachable()), Math.max(0, deadline - Date.now()))
      this.readyWaiters.add(waiter)
    })
  }

  /** Wires the connection's events to the operations waiting for it (one listener each, however many wait). */
  private watch(): void {
    const settleAll = (err?: BrokerError) => {
      for (const w of [...this.readyWaiters]) w.done(err)
    }
    this.redis.on('ready', () => {
      this.lastError = undefined
      settleAll()
    })
    // Errors are kept for messages, never logged (ioredis would print unhandled ones).
    this.redis.on('error', (err: Error) => {
      // "max retries" only says a command gave up; keep the error that says why.
      // Nor "stream isn't writeable", which only says a command found the connection down.
      if (err.name !== 'MaxRetriesPerRequestError' && !NOT_SENT.test(err.message)) this.lastError = err
      if (AUTH_ERROR.test(err.message)) settleAll(this.authFailed(err))
    })
    this.redis.on('end', () => settleAll(this.unreachable()))
  }

  private authFailed(err: Error): BrokerError {
    return new BrokerError(`Redis at ${this.describe} refused the credentials: ${firstLine(err)}`, 'check the user and password in the broker URL (and the ACL rules of that user)')
  }

  private unreachable(): BrokerError {
    if (this.closed) return new BrokerError(`the Redis broker ${this.describe} is closed`)
    const why = this.lastError ? `: ${firstLine(this.lastError)}` : ''
    return new BrokerError(`cannot reach Redis at ${this.describe} (waited ${this.cfg.connectTimeoutMs} ms${why})`, this.fixFor(this.lastError))
  }

  /** How to fix a failed connection, told apart by the TLS error Node reported. */
  private fixFor(err: Error | undefined): string {
    const code = String((err as NodeJS.ErrnoException | undefined)?.code ?? '')
    const msg = err?.message ?? ''
    const host = this.cfg.connection.host
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /does not match certificate's altnames/i.test(msg)) {
      return `the server's TLS certificate is for another host, not ${host}: connect with a name the certificate lists, or give the server a certificate for ${host}`
    }
    if (this.cfg.connection.tls && /certificate required|handshake failure|socket disconnected before secure TLS|ECONNRESET|alert/i.test(`${code} ${msg}`)) {
      return 'the TLS handshake failed; if the server requires a client certificate, give ?tls_cert=/path/cert.pem&tls_key=/path/key.pem in the broker URL'
    }
    if (/CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code) || /self.signed|unable to verify|certificate has expired/i.test(msg)) {
      return "the server's TLS certificate is not trusted here: give its CA file with ?tls_ca=/path/ca.pem in the broker URL"
    }
    return 'check that Redis is running and the broker URL is right (rediss:// for TLS); add ?connectTimeout=30s to wait longer'
  }
}
