import { afterEach, describe, expect, it, vi } from 'vitest'
import { task, type TaskContext } from '../../src/index.js'
import { createTestQueue, type TestQueue } from '../../src/testing/index.js'
import * as emailTasks from './fixtures/email-tasks.js'
import { sendMail } from './fixtures/mailer.js'

// Task code runs in the test's own process and module graph, so a module mock reaches it.
vi.mock('./fixtures/mailer.js', () => ({ sendMail: vi.fn(async (to: string) => ({ messageId: `id-${to}` })) }))

let q: TestQueue | undefined
afterEach(async () => {
  await q?.close()
  q = undefined
  vi.mocked(sendMail).mockClear()
})

describe('side effects stay the test’s choice', () => {
  it('module mocks (vi.mock) reach the handlers of a listed module, schedules included', async () => {
    q = await createTestQueue({ tasks: [emailTasks], now: '2026-03-01T07:00:00Z' })
    const h = await q.enqueue(emailTasks.welcome, { to: 'a@b.c' })
    await q.runUntilIdle()
    expect(await h.result()).toEqual({ messageId: 'id-a@b.c', sentAt: '1970-01-01T00:00:00.000Z' })
    await q.clock.advance('1h')
    expect(await q.runUntilIdle()).toBe(1)
    expect(vi.mocked(sendMail).mock.calls).toEqual([['a@b.c', 'Welcome!'], ['team@example.com', 'Welcome!']])
  })

  it('a failing mock drives the retries', async () => {
    vi.mocked(sendMail).mockRejectedValueOnce(new Error('SMTP 451'))
    q = await createTestQueue({ tasks: [emailTasks] })
    const h = await q.enqueue(emailTasks.welcome, { to: 'x@y.z' })
    await q.runUntilIdle()
    expect(await q.job(h)).toMatchObject({ state: 'scheduled', attempt: 1, error: { message: 'SMTP 451' } })
    await q.clock.advance('1m')
    await q.runUntilIdle()
    expect(await q.job(h)).toMatchObject({ state: 'succeeded', attempt: 2 })
  })

  it('dependency injection: tasks made by a factory that takes their side effects', async () => {
    // In a project: export const tasks = makeTasks({ charge: stripe.charge }) in the task module.
    const makeTasks = (deps: { charge: (cents: number) => Promise<string> }) => ({
      bill: task('billing.charge', async (p: { cents: number }, _ctx: TaskContext) => ({ receipt: await deps.charge(p.cents) })),
    })
    const charged: number[] = []
    const tasks = makeTasks({ charge: async (cents) => (charged.push(cents), `r-${cents}`) })
    q = await createTestQueue({ tasks: [tasks] })
    const h = await q.enqueue(tasks.bill, { cents: 500 })
    await q.runUntilIdle()
    expect(await h.result()).toEqual({ receipt: 'r-500' })
    expect(charged).toEqual([500])
  })
})
