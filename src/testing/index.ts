/**
 * tqjs/testing: a real tq engine in memory, on a clock the test moves.
 *
 *   const q = await createTestQueue({ tasks: [sendWelcome] })
 *   await q.enqueue(sendWelcome, { to: 'a@b.c' }, { delay: '1d' })
 *   await q.clock.advance('1d')
 *   await q.runUntilIdle()
 *
 * Kept out of the main entry: a producer or a worker never loads it.
 */
export { createTestQueue, type TestQueue, type TestQueueOptions } from './test-queue.js'
export type { TestClock } from './clock.js'
export type { TestLogLine } from './runner.js'
export type { TaskSource, TestConfig } from './task-sources.js'
