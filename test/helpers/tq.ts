/**
 * End-to-end helpers: spawn the real `tq` binary (node bin/run.js, which runs dist/) in
 * throwaway project folders, capture its output, wait for concrete conditions with deadlines,
 * and make sure every spawned process is gone after each test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { vi } from 'vitest'

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const TQ_BIN = join(REPO_ROOT, 'bin', 'run.js')

/** Environment for every spawned tq: no colours, no broker override inherited from the caller. */
function tqEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' }
  delete env.TQ_BROKER_URL
  delete env.TQ_DEBUG
  delete env.NODE_OPTIONS
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

// ---------------------------------------------------------------------------------------------
// Temp folders and projects

const tempDirs = new Set<string>()

/** A fresh empty folder under os.tmpdir(), removed by cleanupTemp(). */
export function makeTempDir(prefix = 'tq-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

/** Removes every temp folder made so far. */
export function cleanupTemp(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true })
  tempDirs.clear()
}

export interface ProjectSpec {
  /** Files by relative path, e.g. `{ 'tasks/a.ts': '…' }`. */
  files?: Record<string, string>
  /** The object passed to defineConfig, as source text. */
  config?: string
}

export interface TempProject {
  dir: string
  /** The SQLite file the default config uses. */
  db: string
  path(rel: string): string
  write(rel: string, text: string): void
}

export const DEFAULT_CONFIG = `{ broker: 'sqlite://.tq/tq.db' }`

/** A temp project: tq.config.ts plus the given files (tasks import 'tqjs', which tq resolves to itself). */
export function makeProject(spec: ProjectSpec = {}): TempProject {
  const dir = makeTempDir()
  const project: TempProject = {
    dir,
    db: join(dir, '.tq', 'tq.db'),
    path: (rel) => join(dir, rel),
    write: (rel, text) => {
      mkdirSync(dirname(join(dir, rel)), { recursive: true })
      writeFileSync(join(dir, rel), text)
    },
  }
  project.write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig(${spec.config ?? DEFAULT_CONFIG})\n`)
  for (const [rel, text] of Object.entries(spec.files ?? {})) project.write(rel, text)
  return project
}

// ---------------------------------------------------------------------------------------------
// Processes

export interface RunOptions {
  cwd: string
  /** The tq binary to run (default: this checkout's bin/run.js), e.g. an installed node_modules/.bin/tq. */
  bin?: string
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. */
  input?: string
  /** Deadline for the whole command; it is killed (SIGKILL) past it. Default 60 s (a loaded machine). */
  timeoutMs?: number
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** true when the command was killed for exceeding its deadline. */
  timedOut: boolean
}

const live = new Set<ChildProcess>()

/** A running tq process with its output captured as it arrives. */
export class TqProcess {
  readonly proc: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  exitCode: number | null | undefined = undefined
  private listeners = new Set<() => void>()

  constructor(
    readonly args: string[],
    opts: RunOptions,
  ) {
    this.proc = spawn(process.execPath, [opts.bin ?? TQ_BIN, ...args], {
      cwd: opts.cwd,
      env: tqEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    live.add(this.proc)
    this.proc.stdout!.setEncoding('utf8')
    this.proc.stderr!.setEncoding('utf8')
    this.proc.stdout!.on('data', (d: string) => {
      this.stdout += d
      this.notify()
    })
    this.proc.stderr!.on('data', (d: string) => {
      this.stderr += d
      this.notify()
    })
    this.proc.stdin!.on('error', () => undefined)
    if (opts.input !== undefined) this.proc.stdin!.end(opts.input)
    else this.proc.stdin!.end()
    this.exited = new Promise((res) => {
      // 'close' waits for the output streams too, so stdout/stderr are complete.
      this.proc.on('close', (code, signal) => {
        live.delete(this.proc)
        this.exitCode = code
        this.notify()
        res({ code, signal })
      })
      this.proc.on('error', () => {
        live.delete(this.proc)
        res({ code: null, signal: null })
      })
    })
  }

  get pid(): number {
    return this.proc.pid!
  }

  get running(): boolean {
    return this.exitCode === undefined
  }

  private notify(): void {
    for (const l of this.listeners) l()
  }

  /** Resolves once `test` holds on the captured output; rejects past the deadline or if the process exits first. */
  waitFor(test: (p: TqProcess) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((res, rej) => {
      const check = () => {
        if (test(this)) return done(), res()
        if (!this.running) return done(), rej(new Error(`tq ${this.args.join(' ')} exited (${this.exitCode}) before ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`))
      }
      const timer = setTimeout(() => {
        done()
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from tq ${this.args.join(' ')}\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr.slice(-4000)}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.listeners.delete(check)
      }
      this.listeners.add(check)
      check()
    })
  }

  /** Waits for a line matching `re` on stdout or stderr. */
  waitForOutput(re: RegExp, timeoutMs = 20_000, stream: 'stdout' | 'stderr' | 'both' = 'both'): Promise<void> {
    return this.waitFor((p) => (stream !== 'stderr' && re.test(p.stdout)) || (stream !== 'stdout' && re.test(p.stderr)), `output ${re}`, timeoutMs)
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.proc.kill(signal)
  }

  /** Waits for exit with a deadline; SIGKILLs and rejects past it. */
  async waitExit(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL')
        rej(new Error(`tq ${this.args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${this.stdout.slice(-4000)}\nstderr:\n${this.stderr.slice(-4000)}`))
      }, timeoutMs)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }
}

/** Starts tq in the background (a worker, say). Killed by killAll(). */
export function startTq(args: string[], opts: RunOptions): TqProcess {
  return new TqProcess(args, opts)
}

/** Runs tq to completion (bounded by a deadline) and returns its exit and output. */
export async function runTq(args: string[], opts: RunOptions): Promise<RunResult> {
  const p = new TqProcess(args, opts)
  const timeoutMs = opts.timeoutMs ?? 60_000
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    p.kill('SIGKILL')
  }, timeoutMs)
  const { code, signal } = await p.exited
  clearTimeout(timer)
  return { code, signal, stdout: p.stdout, stderr: p.stderr, timedOut }
}

/** Runs a Node script (a producer, say) to completion, 30 s at most, with the tests' environment. */
export function runNode(args: string[], opts: RunOptions): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: opts.cwd, env: tqEnv(opts.env), timeout: opts.timeoutMs ?? 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** Kills every tq process still running and waits for them to be gone. */
export async function killAll(): Promise<void> {
  const procs = [...live]
  await Promise.all(
    procs.map(
      (proc) =>
        new Promise<void>((res) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return res()
          proc.once('close', () => res())
          proc.kill('SIGKILL')
          setTimeout(res, 5000).unref()
        }),
    ),
  )
  live.clear()
}

// ---------------------------------------------------------------------------------------------
// Reading jobs back through the CLI

export interface Job {
  id: string
  task: string
  queue: string
  state: string
  payload: unknown
  priority: number
  attempt: number
  maxAttempts: number
  createdAt: string
  runAt: string
  startedAt: string | null
  finishedAt: string | null
  result: unknown
  error: { message: string; stack?: string; name?: string } | null
  progress: unknown
  parentId: string | null
  [k: string]: unknown
}

/** `tq jobs --json [...args]`, parsed; throws with the output if it fails. */
export async function listJobs(cwd: string, args: string[] = [], env?: RunOptions['env']): Promise<Job[]> {
  const limit = args.includes('--limit') ? [] : ['--limit', '100000']
  const r = await runTq(['jobs', '--json', ...limit, ...args], { cwd, env })
  if (r.code !== 0) throw new Error(`tq jobs failed (${r.code}):\n${r.stderr}\n${r.stdout}`)
  return JSON.parse(r.stdout) as Job[]
}

/** `tq job <id> --json`, parsed. */
export async function getJob(cwd: string, id: string): Promise<Job> {
  const r = await runTq(['job', id, '--json'], { cwd })
  if (r.code !== 0) throw new Error(`tq job ${id} failed (${r.code}):\n${r.stderr}\n${r.stdout}`)
  return JSON.parse(r.stdout) as Job
}

/**
 * Timeout for an end-to-end test that runs a dozen `tq` commands one after another: each takes
 * ~0.5 s on a quiet machine but several seconds on a loaded 2-core one (the config's 60 s default
 * is then too short). Set per describe: `describe('…', { timeout: LOADED_TEST_MS }, …)`.
 */
export const LOADED_TEST_MS = 180_000

/**
 * Each `tq` command costs a Node process start (~0.4 s of CPU). Polls that spawn one wait this
 * long between checks: polled faster, they take the CPU from the worker they wait for, and on a
 * loaded machine the wait then never ends.
 */
export const CLI_POLL_MS = 1000

/**
 * Polls `check` (vi.waitFor) until it returns a truthy value, which it returns; past `timeoutMs`
 * the error names `what` and the last value (or error) seen.
 */
export function waitUntil<T>(check: () => Promise<T | false | undefined | null>, what: string, timeoutMs = 60_000, pollMs = 200): Promise<T> {
  return vi.waitFor(
    async () => {
      let v: T | false | undefined | null
      try {
        v = await check()
      } catch (err) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${(err as Error)?.message ?? String(err)}`)
      }
      if (!v) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`)
      return v
    },
    { timeout: timeoutMs, interval: pollMs },
  )
}

/** Counts by state, e.g. `{ succeeded: 3, failed: 1 }`. */
export function countStates(jobs: Job[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const j of jobs) out[j.state] = (out[j.state] ?? 0) + 1
  return out
}

/** Non-empty lines of a file (missing file: none). */
export function readLines(file: string): string[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0)
}

/** Duplicates in a list, each once. */
export function duplicates<T>(items: T[]): T[] {
  const seen = new Set<T>()
  const dup = new Set<T>()
  for (const x of items) (seen.has(x) ? dup : seen).add(x)
  return [...dup]
}

/** The shape of an error line, SPEC "CLI": one line `Error: <what> (<how to fix>)`. */
export const ERROR_LINE = /^Error: .+\(.+\)$/

/** stderr lines that are not blank. */
export function stderrLines(r: { stderr: string }): string[] {
  return r.stderr.split('\n').filter((l) => l.trim().length > 0)
}

// ---------------------------------------------------------------------------------------------
// Shorthands used by the semantics, beat and dev end-to-end files

/** The banner `tq worker` prints on stderr once it takes jobs. */
export const WORKER_BANNER = /tq worker .* on /
/** The banner `tq beat` prints on stderr once its schedules are loaded and the first tick ran. */
export const BEAT_BANNER = /tq beat on /
/** The first line `tq dev` prints once broker, worker and beat run. */
export const DEV_BANNER = /tq dev\s+broker /

/** `tq enqueue <task> [payload] [...args]`: the printed job id (throws with the output on failure). */
export async function enqueueJob(cwd: string, task: string, payload?: unknown, args: string[] = []): Promise<string> {
  const r = await runTq(['enqueue', task, ...(payload === undefined ? [] : [JSON.stringify(payload)]), ...args], { cwd })
  if (r.code !== 0) throw new Error(`tq enqueue ${task} failed (${r.code}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout.trim()
}

/** `tq enqueue <task> --batch - --json` with one payload per line: the ids of the new jobs, in order. */
export async function enqueueBatch(cwd: string, task: string, payloads: unknown[]): Promise<string[]> {
  const r = await runTq(['enqueue', task, '--batch', '-', '--json'], { cwd, input: payloads.map((p) => JSON.stringify(p)).join('\n') + '\n' })
  if (r.code !== 0) throw new Error(`tq enqueue ${task} --batch failed (${r.code}):\n${r.stderr}\n${r.stdout}`)
  return (JSON.parse(r.stdout) as { ids: string[] }).ids
}

/** Polls `tq job <id> --json` until the job is in one of `states`; returns it. */
export function waitForJobState(cwd: string, id: string, states: string[], timeoutMs = 60_000, pollMs = CLI_POLL_MS): Promise<Job> {
  return waitUntil(
    async () => {
      const job = await getJob(cwd, id)
      return states.includes(job.state) ? job : false
    },
    `job ${id} in ${states.join('/')}`,
    timeoutMs,
    pollMs,
  )
}

/** Starts `tq worker [...args]` and resolves once its banner is out (bundling and loading the tasks takes a while on a loaded machine). */
export async function startWorker(cwd: string, args: string[] = [], timeoutMs = 60_000): Promise<TqProcess> {
  const w = startTq(['worker', ...args], { cwd })
  await w.waitForOutput(WORKER_BANNER, timeoutMs, 'stderr')
  return w
}

/** Starts `tq beat [...args]` and resolves once its banner is out. */
export async function startBeat(cwd: string, args: string[] = [], timeoutMs = 60_000): Promise<TqProcess> {
  const b = startTq(['beat', ...args], { cwd })
  await b.waitForOutput(BEAT_BANNER, timeoutMs, 'stderr')
  return b
}

/** Resolves once `file` exists (bounded). */
export function waitForFile(file: string, timeoutMs = 60_000): Promise<true> {
  return waitUntil(async () => existsSync(file), `file ${file}`, timeoutMs, 50)
}

/** ISO time to epoch ms (throws on null). */
export function ms(iso: string | null | undefined): number {
  if (!iso) throw new Error(`expected an ISO time, got ${String(iso)}`)
  return Date.parse(iso)
}

// ---------------------------------------------------------------------------------------------
// Redis: the shared test server, key prefixes, and private redis-server processes (test/e2e/redis.test.ts)

// One set of Redis helpers for every test: the e2e names are aliases of test/redis/helpers.ts.
// E2E_REDIS is TQ_TEST_REDIS_URL, default redis://127.0.0.1:6379/0 (database 0); each test runs
// under its own key prefix (redisPrefix()) and deletes those keys when it ends, so the server may
// be shared. Tests that stop Redis or need a password start a private redis-server instead.
import { TEST_REDIS, deletePrefix, urlWith } from '../redis/helpers.js'
export const E2E_REDIS = TEST_REDIS
export const deleteRedisKeys = deletePrefix
/** A Redis URL with query options set, e.g. `redisUrl({ prefix })`. */
export const redisUrl = urlWith

/** A key prefix no other test (or run) shares. */
export function redisPrefix(): string {
  return `tqe2e:${randomBytes(6).toString('hex')}:`
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createNetServer()
    srv.on('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => res(port))
    })
  })
}

const redisServers = new Set<RedisServer>()

/**
 * A private `redis-server` on its own port and folder, for tests that stop Redis or need a
 * password. `args` are extra redis-server flags (`--appendonly yes`, `--requirepass x`, ...).
 */
export class RedisServer {
  proc: ChildProcess | undefined
  log = ''
  private exitedP: Promise<void> = Promise.resolve()

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly args: string[] = [],
    private readonly password?: string,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** Starts it and resolves once it accepts connections (its "Ready to accept connections" line). */
  async start(timeoutMs = 20_000): Promise<void> {
    this.log = ''
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...this.args], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.proc = proc
    redisServers.add(this)
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.log += d))
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.log += d))
    this.exitedP = new Promise((res) => proc.once('close', () => res()))
    await waitUntil(
      async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): ${this.log.slice(-1000)}`)
        return /Ready to accept connections/.test(this.log)
      },
      `redis-server on port ${this.port} ready`,
      timeoutMs,
      20,
    )
  }

  /** `redis-cli [-a pass] -p <port> <args>`. */
  async cli(...args: string[]): Promise<{ code: number | null; out: string }> {
    const auth = this.password ? ['-a', this.password, '--no-auth-warning'] : []
    return new Promise((res) => {
      const p = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...auth, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      p.stdout!.on('data', (d) => (out += d))
      p.stderr!.on('data', (d) => (out += d))
      p.on('close', (code) => res({ code, out }))
    })
  }

  /** `redis-cli shutdown` (AOF and RDB as configured are flushed), then waits for the process to exit. */
  async shutdown(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return
    await this.cli('shutdown')
    await waitUntil(async () => !this.running, `redis-server on port ${this.port} to exit`, timeoutMs, 20)
    await this.exitedP
  }

  /** SIGKILL, and waits for the exit. */
  async kill(): Promise<void> {
    if (this.running) this.proc!.kill('SIGKILL')
    await this.exitedP
    redisServers.delete(this)
  }

  url(query: Record<string, string> = {}, auth = ''): string {
    return redisUrl(query, `redis://${auth}127.0.0.1:${this.port}/0`)
  }
}

/** Starts a private redis-server on a free port (a fresh temp folder unless `dir` is given). */
export async function startRedisServer(opts: { args?: string[]; password?: string; dir?: string; port?: number } = {}): Promise<RedisServer> {
  const args = [...(opts.args ?? []), ...(opts.password ? ['--requirepass', opts.password] : [])]
  for (let attempt = 0; ; attempt++) {
    const server = new RedisServer(opts.port ?? (await freePort()), opts.dir ?? makeTempDir('tq-redis-'), args, opts.password)
    try {
      await server.start()
      return server
    } catch (err) {
      await server.kill()
      // Another process may have taken the free port in between: try another one.
      if (opts.port !== undefined || attempt >= 2 || !/Address already in use/i.test(server.log)) throw err
    }
  }
}

/** Kills every private redis-server still running. */
export async function killRedisServers(): Promise<void> {
  await Promise.all([...redisServers].map((s) => s.kill()))
  redisServers.clear()
}

/** Ends one process (SIGKILL) and waits for it to be gone; for tests that run concurrently, where killAll would end the others' processes too. */
export async function killProcess(p: TqProcess): Promise<void> {
  if (!p.running) return
  p.kill('SIGKILL')
  await p.waitExit(10_000).catch(() => undefined)
}
