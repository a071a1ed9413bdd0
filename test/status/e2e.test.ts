/**
 * End to end: the real `tq` binary, `tq dev` running jobs, and `tq status` drawn in a real
 * pseudo-terminal (tmux), read back with capture-pane. Needs tmux (apt-get install -y tmux) and
 * a build (npm run build): the binary runs dist/.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker, JobJSON, NewJob } from '../../src/broker/types.js'
import type { StatusSnapshot } from '../../src/status/snapshot.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin/run.js')
const run = promisify(execFile)

const TASKS = `
import { existsSync } from 'node:fs'
import { task, schedule } from 'tqjs'

export const slow = task('work.slow', async (p: { steps: number }, ctx) => {
  for (let i = 0; i < p.steps && !ctx.signal.aborted; i++) {
    ctx.progress(i / p.steps)
    await new Promise((r) => setTimeout(r, 250))
  }
  return { done: true }
})
export const quick = task('work.quick', async (p: { n: number }) => p.n * 2)
// Fails until the test creates the file "ok" in the project folder.
export const boom = task('email.boom', async () => {
  if (!existsSync('ok')) throw new Error('kaboom: smtp refused')
  return 'sent'
}, { queue: 'emails' })
export const nightly = schedule('0 3 * * *', quick, { tz: 'Europe/Paris', payload: { n: 0 } })
`

function newJob(task: string, payload: unknown, queue = 'default'): NewJob {
  return { task, queue, payload: JSON.stringify(payload), priority: 0, runAt: Date.now(), maxAttempts: 1 }
}

/** Polls `read` until `test` passes, up to a deadline; the error carries the last value seen. */
async function eventually<T>(read: () => Promise<T> | T, test: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  let last: T | undefined
  for (;;) {
    last = await read()
    if (test(last)) return last
    if (Date.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what}; last seen:\n${typeof last === 'string' ? last : JSON.stringify(last, null, 2)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('tq status end to end (tmux)', () => {
  let dir: string | undefined
  let dev: ChildProcess | undefined
  let devLog = ''
  let broker: Broker | undefined
  let socket: string | undefined

  beforeAll(() => {
    try {
      execFileSync('tmux', ['-V'], { stdio: 'pipe' })
    } catch {
      throw new Error('tmux is required by the tq status end-to-end test: install it (apt-get install -y tmux)')
    }
    if (!existsSync(join(ROOT, 'dist/commands/status.js'))) throw new Error('dist/commands/status.js is missing: run npm run build first')
  })

  afterEach(async () => {
    if (socket) {
      try {
        execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'pipe' })
      } catch {
        /* already gone */
      }
      socket = undefined
    }
    if (dev && dev.exitCode === null && dev.signalCode === null) {
      const exited = new Promise((r) => dev!.once('exit', r))
      dev.kill('SIGTERM')
      const timer = setTimeout(() => dev?.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    dev = undefined
    await broker?.close()
    broker = undefined
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket!, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const screen = () => tmux('capture-pane', '-p', '-t', 'status')
  const waitScreen = (test: (s: string) => boolean, what: string, ms?: number) => eventually(screen, test, `the screen to show ${what}`, ms)
  const job = (id: string) => broker!.getJob(id) as Promise<JobJSON>

  it('shows counts changing, a running job with progress and a failure; r requeues it; follows a resize; q quits', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-status-e2e-'))
    const write = (name: string, text: string) => {
      mkdirSync(dirname(join(dir!, name)), { recursive: true })
      writeFileSync(join(dir!, name), text)
    }
    write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
    write('tasks/t.ts', TASKS)
    write('tmux.conf', 'set -g status off\nset -g remain-on-exit on\n')

    dev = spawn(process.execPath, [BIN, 'dev', '--concurrency', '4'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    dev.stdout!.on('data', (d) => (devLog += d))
    dev.stderr!.on('data', (d) => (devLog += d))
    broker = await openBroker('sqlite://.tq/tq.db', dir)
    await eventually(() => broker!.listWorkers(), (ws) => ws.length > 0, `tq dev's worker to beat (log: ${devLog})`, 30_000)
    await eventually(() => broker!.listSchedules(), (s) => s.some((x) => x.nextAt !== null), 'beat to save the schedule')

    const [{ id: slowId }] = await broker.enqueue([newJob('work.slow', { steps: 400 })])
    const [{ id: boomId }] = await broker.enqueue([newJob('email.boom', {}, 'emails')])
    await eventually(() => job(boomId!), (j) => j.state === 'failed', 'email.boom to fail')

    // `tq status --json`: one snapshot for scripts.
    const { stdout: json } = await run(process.execPath, [BIN, 'status', '--json'], { cwd: dir })
    const snap = JSON.parse(json) as StatusSnapshot
    expect(snap.queues.find((q) => q.queue === 'emails')).toMatchObject({ paused: false, counts: { failed: 1, queued: 0, active: 0, succeeded: 0, scheduled: 0, cancelled: 0, expired: 0 } })
    expect(snap.queues.find((q) => q.queue === 'default')!.throughput).toHaveLength(60)
    expect(snap.workers).toEqual([expect.objectContaining({ alive: true, concurrency: 4, pid: dev.pid, lastBeatAt: expect.any(String), busy: expect.any(Number) })])
    expect(snap.schedules).toEqual([expect.objectContaining({ name: 'nightly', task: 'work.quick', expression: '0 3 * * *', tz: 'Europe/Paris', nextAt: expect.stringMatching(/Z$/) })])
    // Piped without --json: a plain-text summary.
    const { stdout: plain } = await run(process.execPath, [BIN, 'status'], { cwd: dir })
    expect(plain).toMatch(/^emails\s+0\s+0\s+0\s+0\s+1\s+0\s+0\s+\S+$/m)
    expect(plain).not.toMatch(/\x1b\[/)

    // The live view in a 100x30 terminal.
    // A server of our own, its socket in the project folder: nothing shared, nothing left behind.
    socket = join(dir, 'tmux.sock')
    const command = `'${process.execPath}' '${BIN}' status; code=$?; echo tq-status-exit=$code; exit $code`
    tmux('-f', join(dir, 'tmux.conf'), 'new-session', '-d', '-s', 'status', '-x', '100', '-y', '30', '-c', dir, command)
    // Busy 1/4 once the worker's next heartbeat (every 2 s) lists the running job.
    const workerLine = /^ ?WORKERS 1 .*\n.*:\d+ +1\/4 +\ds /m
    let text = await waitScreen(
      (s) => /work\.slow .*█*░+ +\d+%/.test(s) && /email\.boom .*Error: kaboom: smtp refused/.test(s) && workerLine.test(s),
      'the running job with a progress bar, the failure and the busy worker',
    )
    const lines = text.replace(/\n+$/, '').split('\n')
    expect(lines[0]).toMatch(/^tq status +sqlite:\/\/.*tq\.db +1 worker +\d\d:\d\d:\d\d$/)
    expect(text).toMatch(/nightly +work\.quick +0 3 \* \* \* Europe\/Paris +in \d+[mh]/)
    expect(lines.at(-1)).toMatch(/^tab\/←→ panel .* q quit$/)
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(100)

    // Counts change as jobs complete.
    const okCount = (s: string) => Number(/^.default +\d+ +\d+ +\d+ +(\d+)/m.exec(s)?.[1] ?? -1)
    const before = okCount(text)
    expect(before).toBeGreaterThanOrEqual(0)
    await broker.enqueue(Array.from({ length: 25 }, (_, n) => newJob('work.quick', { n })))
    text = await waitScreen((s) => okCount(s) === before + 25, 'the succeeded count go up by 25')

    // The progress bar moves.
    const pct = (s: string) => Number(/work\.slow .* (\d+)%/.exec(s)?.[1] ?? -1)
    const p0 = pct(text)
    await waitScreen((s) => pct(s) > p0, 'the progress grow')

    // r on the failure asks, y requeues it; it then succeeds.
    writeFileSync(join(dir, 'ok'), '')
    tmux('send-keys', '-t', 'status', 'r')
    await waitScreen((s) => /Retry email\.boom \w+\? +y\/⏎ yes/.test(s), 'the retry question')
    tmux('send-keys', '-t', 'status', 'y')
    await waitScreen((s) => s.includes('requeued email.boom'), 'the requeue message')
    await eventually(() => job(boomId!), (j) => j.state === 'succeeded', 'the retried job to succeed')
    await waitScreen((s) => /FAILURES 0/.test(s) && /^.emails +0 +0 +0 +1 +0/m.test(s), 'no failure left and emails ok=1')
    expect((await job(slowId!)).state).toBe('active')

    // Follows a resize to 80x24.
    tmux('resize-window', '-t', 'status', '-x', '80', '-y', '24')
    text = await waitScreen((s) => {
      const ls = s.replace(/\n+$/, '').split('\n')
      return ls.length <= 24 && /^tq status .* \d\d:\d\d:\d\d$/.test(ls[0]!) && /^tab\/←→ panel/.test(ls.at(-1)!) && ls.every((l) => [...l].length <= 80) && ls.some((l) => l.length > 70)
    }, 'the view redrawn at 80x24')
    expect(text).toMatch(/work\.slow .*░+ +\d+%/)

    // q quits, exit status 0.
    tmux('send-keys', '-t', 'status', 'q')
    // The shell around tq status prints its exit status and exits with it: tmux does not always reap
    // the pane's first process, and once it notices the pane died it may redraw the pane blank.
    const exit = /tq-status-exit=(\d+)|Pane is dead \(status (\d+)/
    text = await waitScreen((s) => exit.test(s), 'tq status to exit')
    const [, printed, paneStatus] = exit.exec(text)!
    expect(printed ?? paneStatus).toBe('0')
    expect(text).not.toMatch(/QUEUES|Error/) // the shell's screen is back, nothing printed on the way out
  })
})
