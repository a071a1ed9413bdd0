/**
 * What people read (issue 10, items 1, 6 and 14): large values cut with a note, control
 * characters made visible, the jobs table's error column, attempt labels after a retry, and
 * workers that stopped for good. Real SQLite brokers; no terminal needed (colours are off).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openBroker } from '../../src/broker/open-broker.js'
import type { Broker, JobJSON, NewJob } from '../../src/broker/types.js'
import { colors } from '../../src/format/colors.js'
import { jobDetail } from '../../src/status/job-detail.js'
import { formatEvent } from '../../src/format/job-log.js'
import { jobsTable } from '../../src/format/jobs-table.js'
import { safeText, visibleLength } from '../../src/format/safe-text.js'
import { attemptLabels, jobLines, MAX_FIELD_LINES, wrapClipped } from '../../src/status/job-lines.js'
import { buildSnapshot, DEAD_AFTER_MS, FORGET_AFTER_MS } from '../../src/status/snapshot.js'
import { statusSummary } from '../../src/status/summary.js'
import { enqueueExample } from '../../src/dev/dev-log.js'
import type { ScheduleDef } from '../../src/beat/schedule-def.js'
import { slotTemplate } from '../../src/beat/slot-job.js'

const EVIL = '\x1b]0;x\x07\x1b[2J'
/** Any raw control character but the newline. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/
const plain = colors({ isTTY: false } as NodeJS.WriteStream)

const job = (task: string, queue = 'default', over: Partial<NewJob> = {}): NewJob => ({ task, queue, payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })

let dir: string
let broker: Broker
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tq-display-'))
  broker = await openBroker(`sqlite://${join(dir, 'tq.db')}`, dir)
})
afterEach(async () => {
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Claims the next job of `queue` and settles it as given. */
async function runOnce(queue: string, outcome: 'succeeded' | { message: string; retry?: boolean }): Promise<void> {
  const [c] = (await broker.claim({ workerId: 'w', queues: [queue], limit: 1, leaseMs: 30_000 })).jobs
  if (outcome === 'succeeded') return void (await broker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '1' }]))
  const error = { name: 'Error', message: outcome.message, stack: `Error: ${outcome.message}\n    at here`, attempt: c!.attempt }
  await broker.settle([{ id: c!.id, token: c!.token, kind: 'failed', error, retryAt: outcome.retry ? Date.now() - 1 : undefined }])
}

describe('large values', () => {
  it('shows a 10 MB payload cut to a screenful with a note, in the job view and tq job', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024)
    const [enq] = await broker.enqueue([job('big.one', 'default', { payload: JSON.stringify({ blob: big }) })])
    const stored = (await broker.getJob(enq!.id))!
    const lines = jobLines(stored, [], 100)
    const text = lines.map((l) => l.map((s) => s.text).join('')).join('\n')
    /** The note may wrap: read it with line breaks and padding squeezed. */
    const flat = (t: string) => t.replace(/\s+/g, ' ')
    expect(flat(text)).toMatch(/… [\d,]+ more characters \(tq job \S+ --json prints everything\)/)
    const payloadLines = lines.filter((l) => l[1]?.text.includes('xxxx'))
    expect(payloadLines.length).toBeLessThanOrEqual(MAX_FIELD_LINES)
    expect(text.length).toBeLessThan(10_000)
    const printed = jobDetail(stored, [], plain, 100)
    expect(flat(printed)).toMatch(/more characters \(tq job \S+ --json prints everything\)/)
    expect(printed.split('\n').every((l) => l.length <= 100)).toBe(true)
  })

  it('counts what it leaves out and keeps a short value whole', () => {
    const cut = wrapClipped('a'.repeat(1000), 10, 3)
    expect(cut.lines).toEqual(['a'.repeat(10), 'a'.repeat(10), 'a'.repeat(10)])
    expect(cut.omitted).toBe(970)
    expect(wrapClipped('short\nvalue', 10, 3)).toEqual({ lines: ['short', 'value'], omitted: 0 })
  })
})

describe('control characters', () => {
  it('makes each one visible, one character for one, and keeps newlines only in blocks', () => {
    expect(safeText(EVIL)).toBe('␛]0;x␇␛[2J')
    expect(safeText('a\nb\tc\u009bd\u007f')).toBe('a␤b c\ufffdd␡')
    expect(safeText('a\nb', { multiline: true })).toBe('a\nb')
    expect(visibleLength(plain.red('abc'))).toBe(3)
    expect(visibleLength(colors({ isTTY: true } as NodeJS.WriteStream).red('abc'))).toBe(3)
  })

  it('keeps escapes from task names, queues, errors and log lines out of the jobs table, tq job, the log and the status summary', async () => {
    await broker.enqueue([job(`task${EVIL}`, `q${EVIL}`)])
    await runOnce(`q${EVIL}`, { message: `boom${EVIL}\nsecond${EVIL}` })
    const [failed] = await broker.listJobs({})
    expect(failed!.error!.message).toBe(`boom${EVIL}\nsecond${EVIL}`)
    const outputs = [
      jobsTable([failed!], plain),
      jobDetail(failed!, [], plain, 100),
      formatEvent({ type: 'failed', job: failed!, ms: 3, error: failed!.error! } as never, plain),
      formatEvent({ type: 'log', job: failed!, line: `said ${EVIL}` } as never, plain),
      statusSummary(await buildSnapshot(broker), plain),
    ]
    for (const out of outputs) {
      expect(out).not.toMatch(RAW_CONTROL)
      expect(out).toContain('␛]0;x␇␛[2J')
    }
  })
})

describe('smaller items a new user hit', () => {
  it('shows in tq jobs only the error the latest outcome ended with', async () => {
    await broker.enqueue([job('flaky', 'default', { maxAttempts: 3 }), job('doomed', 'other')])
    await runOnce('default', { message: 'first try failed', retry: true })
    const waiting = (await broker.listJobs({ task: 'flaky' }))[0]!
    expect(jobsTable([waiting], plain)).toContain('first try failed')
    await runOnce('default', 'succeeded')
    await runOnce('other', { message: 'gave up' })
    const [done] = await broker.listJobs({ task: 'flaky' })
    expect(done!.state).toBe('succeeded')
    expect(done!.errors).toHaveLength(1)
    const table = jobsTable(await broker.listJobs({}), plain)
    expect(table).not.toContain('first try failed')
    expect(table).toContain('gave up')
    // tq job still lists the earlier attempt, but not as the job's error.
    const detail = jobDetail(done!, [], plain, 100)
    expect(detail).toContain('first try failed')
    expect(detail).not.toMatch(/^error/m)
  })

  it('labels each failed attempt distinctly after tq retry restarted the attempt count', async () => {
    expect(attemptLabels([{ attempt: 1 }, { attempt: 2 }, { attempt: 1 }, { attempt: 2 }])).toEqual([
      '#1 attempt 1',
      '#2 attempt 2',
      '#3 retry 1, attempt 1',
      '#4 retry 1, attempt 2',
    ])
    await broker.enqueue([job('again')])
    await runOnce('default', { message: 'before retry' })
    expect(await broker.retry([(await broker.listJobs({}))[0]!.id])).toHaveLength(1)
    await runOnce('default', { message: 'after retry' })
    const [j] = await broker.listJobs({})
    const detail = jobDetail(j as JobJSON, [], plain, 120)
    expect(detail).toMatch(/#1 attempt 1 .*before retry/)
    expect(detail).toMatch(/#2 retry 1, attempt 1 .*after retry/)
  })

  it('shows a silent worker as dead, then forgets it', async () => {
    const now = Date.now()
    const beat = (id: string, ago: number) =>
      broker.heartbeat({ id, host: 'box', pid: 1, queues: ['default'], concurrency: 1, running: [], startedAt: now - 3_600_000, lastBeatAt: now - ago })
    await beat('live', 0)
    await beat('dead', DEAD_AFTER_MS + 5_000)
    await beat('gone', FORGET_AFTER_MS + 5_000)
    const s = await buildSnapshot(broker, { now: () => now })
    expect(s.workers.map((w) => [w.id, w.alive])).toEqual([
      ['live', true],
      ['dead', false],
    ])
    expect((await broker.listWorkers()).map((w) => w.id).sort()).toEqual(['dead', 'live'])
  })

  it('suggests an enqueue command with a payload the task takes', () => {
    const every = (task: string, payload: unknown): ScheduleDef => ({ name: `s-${task}`, task, timing: { every: 1000 } as never, payload, catchUp: 'latest', origin: 'x', slot: slotTemplate(task, undefined, payload, {}) })
    expect(enqueueExample(['hello.flaky', 'hello.greet'], [every('hello.greet', { name: 'beat' })])).toBe(`hello.greet '{"name":"beat"}'`)
    expect(enqueueExample(['email.welcome', 'math.sum'], [])).toBe(`email.welcome '{"to":"a@b.c"}'`)
    expect(enqueueExample(['strict.task'], [])).toBe(`strict.task '<payload JSON>'`)
  })
})
