import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cleanup, render } from 'ink-testing-library'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker, ClaimedJob, JobJSON, NewJob } from '../../src/broker/types.js'
import { StatusApp } from '../../src/status/app.js'
import { JobScreen, MainScreen } from '../../src/status/view.js'
import { NOW, sampleSnapshot, stripAnsi, visibleWidth } from './sample.js'

const ZERO = { queues: 0, workers: 0, running: 0, failures: 0, schedules: 0 }

function screen(frame: string | undefined): string[] {
  return stripAnsi(frame ?? '').split('\n')
}

function expectFits(frame: string | undefined, width: number, height: number) {
  const lines = screen(frame)
  expect(lines.length, 'lines on screen').toBeLessThanOrEqual(height)
  for (const line of lines) expect(visibleWidth(line), `line too wide: "${line}"`).toBeLessThanOrEqual(width)
}

/** Waits for the app to draw what `test` expects (bounded), returning the screen text. */
async function waitFor(lastFrame: () => string | undefined, test: (text: string) => boolean, what: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms
  for (;;) {
    const text = stripAnsi(lastFrame() ?? '')
    if (test(text)) return text
    if (Date.now() > deadline) throw new Error(`screen never showed ${what}; last screen:\n${text}`)
    await new Promise((r) => setTimeout(r, 15))
  }
}

afterEach(() => cleanup())

describe('status screen (ink-testing-library)', () => {
  for (const [width, height] of [
    [80, 24],
    [100, 30],
  ] as const) {
    it(`fits ${width}x${height} and shows every panel`, () => {
      const { lastFrame } = render(
        <MainScreen snapshot={sampleSnapshot()} width={width} height={height - 1} focus="failures" selected={{ ...ZERO, failures: 1 }} filter="" error={null} message={null} prompt={null} />,
      )
      expectFits(lastFrame(), width, height - 1)
      const text = stripAnsi(lastFrame()!)
      const lines = text.split('\n')
      expect(lines[0]).toMatch(/^tq status +sqlite:\/\/\/home\/me\/app\/\.tq\/tq\.db +1 worker +\d\d:\d\d:\d\d$/)
      // Queues: counts by state (1.2M compacted), paused marker, jobs/s and a sparkline.
      expect(text).toMatch(/QUEUES 2 +sched +queued +active +ok +failed( +cancel +expired)? +jobs\/s +last 60s/)
      expect(text).toMatch(/default +2 +41 +3 +1\.2M +12 +(0 +0 +)?12\.4 +[▁-█]+/)
      expect(text).toMatch(/emails paused +0 +250 +0 +98000 +3 +(0 +0 +)?0 +▁+/)
      // Workers: host:pid, busy/concurrency, heartbeat age; the dead one says so.
      expect(text).toMatch(/web-1:4242 +3\/10 +1s +1h +default,emails/)
      expect(text).toMatch(/web-2:777 +dead +2m +2h/)
      // Running: elapsed and a progress bar per numeric progress, the value otherwise.
      expect(text).toMatch(/report\.build +aaaa0001 .*1m35s +█+░+ +42%/)
      expect(text).toMatch(/video\.encode +aaaa0002 .*12s +█+░+ +75%/)
      expect(text).toMatch(/email\.welcome +aaaa0003 .*0\.4s +\{"stage":"rendering"\}/)
      // Failures: the error's first line only; the selected row is marked.
      expect(text).toMatch(/ email\.welcome +bbbb0001 +30s +Error: connect ECONNREFUSED 10\.0\.0\.7:25 *$/m)
      expect(text).not.toContain('more detail')
      expect(text).toMatch(/^›report\.build +bbbb0002 +10m +TypeError: Cannot read/m)
      // Schedules with the next run.
      expect(text).toMatch(/nightly-cleanup +db\.cleanup +0 3 \* \* \* Europe\/Paris +in 14h/)
      expect(text).toMatch(/tick +ping +every 5s +in 3s/)
      expect(lines.at(-1)).toMatch(/^tab\/←→ panel +↑↓ select +⏎ open +r retry +c cancel +p pause +\/ filter +q quit/)
    })
  }

  it('keeps the selected row in view when a panel has more rows than lines', () => {
    const running = Array.from({ length: 40 }, (_, i) => ({
      id: `job-${String(i).padStart(2, '0')}`,
      task: `task.${i}`,
      queue: 'default',
      attempt: 1,
      maxAttempts: 1,
      startedAt: new Date(NOW - 1000).toISOString(),
      elapsedMs: 1000,
      progress: i / 40,
    }))
    const { lastFrame } = render(
      <MainScreen snapshot={sampleSnapshot({ running })} width={80} height={23} focus="running" selected={{ ...ZERO, running: 30 }} filter="" error={null} message={null} prompt={null} />,
    )
    expectFits(lastFrame(), 80, 23)
    const text = stripAnsi(lastFrame()!)
    expect(text).toMatch(/^›task\.30 +job-30/m)
    expect(text).toMatch(/↑ \d+ more {2}↓ \d+ more/)
  })

  it('shows the filter, a confirmation, a message and a broker error', () => {
    const common = { snapshot: sampleSnapshot(), width: 80, height: 23, focus: 'queues' as const, selected: ZERO }
    let r = render(<MainScreen {...common} filter="email" error={null} message={null} prompt={{ kind: 'filter', draft: 'emai' }} />)
    let text = stripAnsi(r.lastFrame()!)
    expect(text.split('\n').at(-1)).toMatch(/^filter by task: emai +⏎ apply/)
    expect(text.split('\n')[0]).toMatch(/filter: email +1 worker/)
    expect(text).not.toContain('report.build') // filtered out of running and failures
    expect(text).toContain('email.welcome')
    r = render(<MainScreen {...common} filter="" error="database is locked" message={null} prompt={{ kind: 'confirm', text: 'Retry email.welcome bbbb0001?' }} />)
    text = stripAnsi(r.lastFrame()!)
    expect(text.split('\n')[0]).toContain('broker error: database is locked')
    expect(text.split('\n').at(-1)).toMatch(/^Retry email\.welcome bbbb0001\? +y\/⏎ yes +n no/)
    r = render(<MainScreen {...common} filter="" error={null} message={{ text: 'requeued email.welcome bbbb0001' }} prompt={null} />)
    expect(stripAnsi(r.lastFrame()!).split('\n')[0]).toContain('requeued email.welcome bbbb0001')
  })

  it('shows a job: payload, error with stack, every attempt, children; and scrolls', () => {
    const job: JobJSON = {
      id: 'f00d0000-0000-4000-8000-000000000001',
      task: 'email.welcome',
      queue: 'emails',
      state: 'failed',
      payload: { to: 'a@b.c', lines: Array.from({ length: 30 }, (_, i) => `line ${i}`) },
      priority: 0,
      attempt: 2,
      maxAttempts: 2,
      createdAt: '2026-03-01T11:00:00.000Z',
      runAt: '2026-03-01T11:00:00.000Z',
      startedAt: '2026-03-01T11:00:05.000Z',
      finishedAt: '2026-03-01T11:00:06.000Z',
      result: null,
      error: { name: 'Error', message: 'smtp refused', stack: 'Error: smtp refused\n    at send (tasks/email.ts:12:11)\n    at run (tq/thread.js:1:1)' },
      progress: null,
      parentId: null,
      key: null,
      errors: [
        { name: 'Error', message: 'timeout', attempt: 1, at: '2026-03-01T11:00:01.000Z' },
        { name: 'Error', message: 'smtp refused', attempt: 2, at: '2026-03-01T11:00:06.000Z' },
      ],
    }
    const child = { ...job, id: 'c41d0000-0000-4000-8000-000000000002', task: 'audit.log', state: 'succeeded' as const, errors: [] }
    const props = { id: job.id, job, children: [child], width: 80, height: 23, snapshot: sampleSnapshot(), filter: '', error: null, message: null, prompt: null }
    const top = render(<JobScreen {...props} scroll={0} />)
    expectFits(top.lastFrame(), 80, 23)
    let text = stripAnsi(top.lastFrame()!)
    expect(text).toMatch(/email\.welcome {2}f00d0000-0000-4000-8000-000000000001/)
    expect(text).toMatch(/state +failed +attempt 2\/2 +queue emails/)
    expect(text).toMatch(/payload +\{/)
    expect(text).toMatch(/↓ \d+ more lines/)
    expect(text.split('\n').at(-1)).toMatch(/^↑↓ scroll +r retry +c cancel +esc back +q quit/)
    const bottom = render(<JobScreen {...props} scroll={1000} />)
    expectFits(bottom.lastFrame(), 80, 23)
    text = stripAnsi(bottom.lastFrame()!)
    expect(text).toMatch(/error +Error: smtp refused/)
    expect(text).toMatch(/at send \(tasks\/email\.ts:12:11\)/)
    expect(text).toMatch(/attempts \(2 failed\)/)
    expect(text).toMatch(/#1 attempt 1 2026-03-01T11:00:01\.000Z Error: timeout/)
    expect(text).toMatch(/#2 attempt 2 2026-03-01T11:00:06\.000Z Error: smtp refused/)
    expect(text).toMatch(/children \(1\)\n +c41d0000-0000-4000-8000-000000000002 +succeeded +audit\.log/)
  })
})

describe('status app: keys against a real broker', () => {
  let dir: string
  let broker: Broker
  const newJob = (task: string, queue = 'default'): NewJob => ({ task, queue, payload: '{"n":1}', priority: 0, runAt: Date.now(), maxAttempts: 1 })
  const claim = async (queue: string): Promise<ClaimedJob> => ((await broker.claim({ workerId: 'w', queues: [queue], limit: 1, leaseMs: 60_000 })).jobs)[0]!

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tq-status-app-'))
    broker = await openBroker('sqlite://.tq/tq.db', dir)
  })
  afterEach(async () => {
    cleanup()
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('moves between panels, opens a job, retries a failure, cancels a running job, pauses a queue, filters, quits', async () => {
    await broker.enqueue([newJob('email.boom', 'emails')])
    const failing = await claim('emails')
    await broker.settle([{ id: failing.id, token: failing.token, kind: 'failed', error: { name: 'Error', message: 'kaboom', stack: 'Error: kaboom\n    at here' } }])
    await broker.enqueue([newJob('report.build')])
    const running = await claim('default')
    await broker.progress(running.id, running.token, '0.3')
    let quit = 0
    const { lastFrame, stdin } = render(<StatusApp broker={broker} intervalMs={200} width={100} height={29} onQuit={() => quit++} />)
    const until = (test: (t: string) => boolean, what: string) => waitFor(lastFrame, test, what)
    const press = async (key: string, test: (t: string) => boolean, what: string) => {
      stdin.write(key)
      return until(test, what)
    }

    let text = await until((t) => /report\.build .*█+░+ +30%/.test(t) && /email\.boom .*Error: kaboom/.test(t), 'the running job and the failure')
    expectFits(lastFrame(), 100, 29)
    expect(text).toMatch(/^›default /m) // queues focused first

    // tab and arrows move focus; ⏎ on a failure opens it.
    await press('\t', (t) => /▌WORKERS/.test(t), 'focus on workers')
    await press('\x1b[C', (t) => /▌RUNNING/.test(t), 'focus on running (→)')
    await press('\t', (t) => /▌FAILURES/.test(t) && /^›email\.boom/m.test(t), 'focus on failures')
    await press('\x1b[D', (t) => /▌RUNNING/.test(t), 'focus back on running (←)')
    await press('\t', (t) => /▌FAILURES/.test(t), 'focus on failures again')
    text = await press('\r', (t) => t.includes(failing.id) && /error +Error: kaboom/.test(t), 'the job screen')
    expect(text).toMatch(/payload +\{\n? *"n": 1/)
    expect(text).toMatch(/at here/)
    await press('\x1b', (t) => /▌FAILURES/.test(t), 'back to the dashboard')

    // r asks first; n does nothing, y requeues.
    await press('r', (t) => /Retry email\.boom \w+\? +y\/⏎ yes/.test(t), 'the retry question')
    await press('n', (t) => t.includes('nothing done'), 'nothing done')
    expect((await broker.getJob(failing.id))!.state).toBe('failed')
    await press('r', (t) => /Retry email\.boom/.test(t), 'the retry question again')
    await press('y', (t) => t.includes('requeued email.boom') && /FAILURES 0/.test(t), 'the requeue')
    expect((await broker.getJob(failing.id))!.state).toBe('queued')

    // c targets the selected running job, from any panel.
    await press('c', (t) => /Cancel report\.build \w+\?/.test(t), 'the cancel question')
    await press('y', (t) => t.includes('aborting report.build'), 'the cancel request')
    expect((await broker.renew([{ id: running.id, token: running.token }], 30_000)).cancelRequested).toEqual([running.id])

    // p pauses the selected queue and, asked again, resumes it.
    await press('p', (t) => /Pause queue default\?/.test(t), 'the pause question')
    await press('y', (t) => /default paused/.test(t), 'the paused marker')
    await press('p', (t) => /Resume queue default\?/.test(t), 'the resume question')
    await press('\r', (t) => t.includes('resumed default') && !/default paused/.test(t), 'the queue resumed')

    // / filters running jobs and failures by task.
    await press('/', (t) => /filter by task:/.test(t), 'the filter prompt')
    for (const ch of 'email') stdin.write(ch)
    await until((t) => /filter by task: email/.test(t), 'the typed filter')
    text = await press('\r', (t) => /filter: email/.test(t) && /RUNNING 0/.test(t), 'the filter applied')
    await press('\x1b', (t) => !/filter: email/.test(t) && /RUNNING 1/.test(t), 'the filter cleared')

    // Keys arriving in one read (key repeat, a fast typist) each count.
    await until((t) => /▌QUEUES/.test(t), 'focus on queues after p')
    await press('\t\t', (t) => /▌RUNNING/.test(t), 'two tabs in one read: focus on running')
    await press('\x1b[Z', (t) => /▌WORKERS/.test(t), 'shift+tab: back to workers')

    stdin.write('q')
    await until(() => quit === 1, 'quit')
  })
})
