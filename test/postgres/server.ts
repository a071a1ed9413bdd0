import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitUntil } from '../helpers/tq.js'
import pg from 'pg'

/** Where Debian puts the server binaries (PostgreSQL 15 on these machines; TQ_TEST_PG_BIN overrides). */
const BIN = process.env.TQ_TEST_PG_BIN ?? ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'].find((d) => existsSync(join(d, 'initdb'))) ?? ''

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` user. */
const asRoot = process.getuid?.() === 0
const owner = asRoot
  ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
  : undefined

function command(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, bin), ...args]] : [join(BIN, bin), args]
}

export interface PgServerOptions {
  /** A password for the `postgres` user, required (scram) on TCP connections. */
  password?: string
  /** Serve TLS with a self-signed certificate for `localhost`; TCP connections must use it. */
  tls?: boolean
}

const servers = new Set<PgServer>()

/**
 * A private PostgreSQL server on a free port, in its own temp folder: for tests that restart the
 * server, need a password, or need TLS, without touching the shared one (other test files keep
 * running against it meanwhile). initdb takes a second or two.
 */
export class PgServer {
  proc: ChildProcess | undefined
  log = ''
  readonly data: string
  /** The server's certificate (PEM), also the CA to trust, when `tls`. */
  readonly cert: string
  private exited: Promise<void> = Promise.resolve()

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly opts: PgServerOptions,
  ) {
    this.data = join(dir, 'data')
    this.cert = join(dir, 'server.crt')
  }

  static async create(opts: PgServerOptions = {}): Promise<PgServer> {
    if (!BIN) throw new Error('PostgreSQL server binaries not found (set TQ_TEST_PG_BIN to the folder holding initdb)')
    const dir = mkdtempSync(join(tmpdir(), 'tq-pg-'))
    if (owner) chownSync(dir, owner.uid, owner.gid)
    const server = new PgServer(dir, await freePort(), opts)
    servers.add(server)
    const pwfile = join(dir, 'pw')
    const args = ['-D', server.data, '-U', 'postgres', '--auth-local=trust', '-N']
    if (opts.password) {
      writeFileSync(pwfile, opts.password + '\n')
      if (owner) chownSync(pwfile, owner.uid, owner.gid)
      args.push('--auth-host=scram-sha-256', `--pwfile=${pwfile}`)
    } else args.push('--auth-host=trust')
    const [cmd, argv] = command('initdb', args)
    execFileSync(cmd, argv, { stdio: 'ignore' })
    if (opts.tls) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
        '-keyout', join(dir, 'server.key'), '-out', server.cert], { stdio: 'ignore' })
      chmodSync(join(dir, 'server.key'), 0o600)
      if (owner) for (const f of ['server.key', 'server.crt']) chownSync(join(dir, f), owner.uid, owner.gid)
      // TCP connections must use TLS: a plain one is refused by pg_hba.conf.
      const method = opts.password ? 'scram-sha-256' : 'trust'
      writeFileSync(join(server.data, 'pg_hba.conf'), `local all all trust\nhostssl all all 127.0.0.1/32 ${method}\nhostnossl all all 127.0.0.1/32 reject\n`)
    }
    await server.start()
    return server
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** Starts the server and resolves once it answers queries. */
  async start(timeoutMs = 30_000): Promise<void> {
    this.log = ''
    const settings = ['-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100']
    if (this.opts.tls) settings.push('-c', 'ssl=on', '-c', `ssl_cert_file=${this.cert}`, '-c', `ssl_key_file=${join(this.dir, 'server.key')}`)
    const [cmd, argv] = command('postgres', ['-D', this.data, ...settings])
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d))
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d))
    this.exited = new Promise((res) => proc.once('close', () => res()))
    await waitUntil(
      async () => {
        if (!this.running) throw new Error(`postgres exited: ${this.log.slice(-1000)}`)
        return /ready to accept connections/.test(this.log)
      },
      `postgres on port ${this.port} ready`,
      timeoutMs,
      20,
    )
  }

  /**
   * Fast shutdown (SIGINT, what `pg_ctl stop -m fast` and `pg_ctlcluster restart` do): open
   * transactions roll back, clients are disconnected, committed work is on disk. Waits for the exit.
   */
  async stop(): Promise<void> {
    if (!this.running) return
    const [cmd, argv] = command('pg_ctl', ['-D', this.data, '-m', 'fast', '-w', 'stop'])
    execFileSync(cmd, argv, { stdio: 'ignore' })
    await this.exited
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** The server's URL for database `postgres` (user postgres), with query options. */
  url(query: Record<string, string> = {}, opts: { password?: string; host?: string } = {}): string {
    const auth = opts.password !== undefined ? `postgres:${encodeURIComponent(opts.password)}@` : 'postgres@'
    const u = new URL(`postgres://${auth}${opts.host ?? '127.0.0.1'}:${this.port}/postgres`)
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v)
    return u.toString()
  }

  /** One statement over the server's unix socket (trusted: no password, no TLS needed). */
  async query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ host: this.dir, port: this.port, user: 'postgres', database: 'postgres' })
    await client.connect()
    try {
      return (await client.query<T>(text, params)).rows
    } finally {
      await client.end()
    }
  }

  async destroy(): Promise<void> {
    if (this.running) {
      try {
        await this.stop()
      } catch {
        this.proc!.kill('SIGKILL')
        await this.exited
      }
    }
    servers.delete(this)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Stops and removes every private server still there (afterEach/afterAll). */
export async function destroyPgServers(): Promise<void> {
  await Promise.all([...servers].map((s) => s.destroy()))
}

