import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { schedule, task } from '../../src/index.js'
import { createTestQueue } from '../../src/testing/index.js'

const count = task('count', async (p: number) => p)
const tick = schedule({ every: '1m' }, count, { name: 'tick', payload: 0 })

describe.concurrent('test queues share nothing', () => {
  // Run at the same time by vitest: each queue has its own database and its own clock.
  for (const label of ['a', 'b', 'c']) {
    it(`queue ${label}: its own jobs and its own time`, async () => {
      const q = await createTestQueue({ tasks: [count, tick], now: '2026-01-01T00:00:00Z' })
      try {
        const n = label.charCodeAt(0) - 96
        await q.enqueueMany(count, Array.from({ length: n }, (_, i) => i + 1))
        await q.clock.advance(`${n}m`)
        expect(await q.runUntilIdle()).toBe(2 * n)
        expect(await q.jobs()).toHaveLength(2 * n)
        expect(q.clock.date().toISOString()).toBe(`2026-01-01T00:0${n}:00.000Z`)
      } finally {
        await q.close()
      }
    })
  }

  it('two queues in one test: advancing one leaves the other where it was', async () => {
    const later = task('later', async () => 'done')
    const [q1, q2] = await Promise.all([createTestQueue({ tasks: [later] }), createTestQueue({ tasks: [later] })])
    try {
      const t0 = q2.clock.now()
      const a = await q1.enqueue(later, null, { delay: '1h' })
      const b = await q2.enqueue(later, null, { delay: '1h' })
      await q1.clock.advance('1h')
      expect(await q1.runUntilIdle()).toBe(1)
      expect(await q2.runUntilIdle()).toBe(0)
      expect(q2.clock.now()).toBe(t0)
      expect((await q1.job(a))!.state).toBe('succeeded')
      expect((await q2.job(b))!.state).toBe('scheduled')
      expect(await q1.job(b)).toBeNull()
    } finally {
      await Promise.all([q1.close(), q2.close()])
    }
  })
})

describe("a project's own tasks, from its tq.config.ts", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tq-testing-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }

  it('loads the tasks and the config schedules, and never touches the configured broker', async () => {
    write('tq.config.ts', `import { defineConfig } from 'tqjs'
export default defineConfig({ broker: 'sqlite://.tq/tq.db', tasks: 'tasks/**/*.ts', schedules: { hourly: { task: 'math.sum', every: '1h', payload: { numbers: [2, 3] } } } })
`)
    write('tasks/math.ts', `import { task } from 'tqjs'
export const sum = task('math.sum', async (p: { numbers: number[] }) => ({ total: p.numbers.reduce((a, b) => a + b, 0) }))
`)
    const q = await createTestQueue({ cwd: dir, now: '2026-01-01T00:30:00Z' })
    try {
      expect(q.tasks).toEqual(['math.sum'])
      const h = await q.enqueue('math.sum', { numbers: [1, 2, 3] })
      await q.clock.advance('1h')
      expect(await q.runUntilIdle()).toBe(2)
      expect(await h.result()).toEqual({ total: 6 })
      expect(await q.job('schedule:hourly:2026-01-01T01:00:00.000Z')).toMatchObject({ state: 'succeeded', result: { total: 5 } })
    } finally {
      await q.close()
    }
    const { existsSync } = await import('node:fs')
    expect(existsSync(join(dir, '.tq', 'tq.db'))).toBe(false)
  })
})
