/**
 * The library's checks on what enters a job (buildNewJob, Client, task(), the config), on a real
 * SQLite broker where a write could happen: refused input leaves the database empty.
 */
import { describe, expect, it } from 'vitest'
import { Client, connect } from '../../src/app/client.js'
import { closestName } from '../../src/app/closest-name.js'
import { buildNewJob } from '../../src/app/new-job.js'
import { schedule } from '../../src/app/schedule.js'
import { task } from '../../src/app/task.js'
import { validateConfig } from '../../src/app/validate-config.js'
import { ConfigError, UsageError } from '../../src/errors.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('input')
const echo = task('echo', async (p: unknown) => p)
const jobsIn = async (client: Client) => (await client.broker.listJobs({ limit: 100 })).length

describe('names and numbers on enqueue', () => {
  it('an empty or malformed task name is refused by connect().enqueue, with nothing written', async () => {
    const client = await connect({ broker: `sqlite://${db.file}` })
    try {
      for (const name of ['', ' echo', 'a#b', 'x\ny']) await expect(client.enqueue(name, {})).rejects.toThrow(/invalid task name/)
      await expect(client.enqueue('', {})).rejects.toBeInstanceOf(UsageError)
      expect(await jobsIn(client)).toBe(0)
    } finally {
      await client.close()
    }
  })

  it('queue names: 1 to 100 characters of the task-name set', () => {
    for (const queue of ['', 'a b', 'a\nb', '-x', 'q'.repeat(101)]) expect(() => buildNewJob('echo', undefined, {}, { queue })).toThrow(/invalid queue name/)
    expect(buildNewJob('echo', undefined, {}, { queue: 'q'.repeat(100) }).queue).toBe('q'.repeat(100))
    expect(buildNewJob('echo', { queue: 'emails/eu:1' }, {}).queue).toBe('emails/eu:1')
  })

  it('priority: an integer within ±1,000,000', () => {
    for (const priority of [1e20, 1_000_001, -1_000_001, 1.5, NaN]) expect(() => buildNewJob('echo', undefined, {}, { priority })).toThrow(/invalid priority/)
    expect(buildNewJob('echo', undefined, {}, { priority: -1_000_000 }).priority).toBe(-1_000_000)
  })

  it('at and delay together are refused', () => {
    expect(() => buildNewJob('echo', undefined, {}, { at: Date.now(), delay: '1s' })).toThrow(UsageError)
  })

  it('task() refuses a bad queue, priority or maxPayload when the module loads', () => {
    expect(() => task('t', async () => 1, { queue: '' })).toThrow(/invalid queue name/)
    expect(() => task('t', async () => 1, { priority: 1e20 })).toThrow(/invalid priority/)
    expect(() => task('t', async () => 1, { maxPayload: '1 parsec' })).toThrow(/maxPayload/)
    expect(() => task('', async () => 1)).toThrow(/invalid task name/)
  })

  it('schedule() refuses a bad task name, queue or priority when the module loads, not when beat runs it', () => {
    expect(() => schedule('* * * * *', '')).toThrow(/invalid task name ""/)
    expect(() => schedule('* * * * *', echo, { queue: 'a\nb' })).toThrow(/invalid queue name/)
    expect(() => schedule('* * * * *', echo, { priority: 1e20 })).toThrow(/invalid priority/)
    expect(schedule('* * * * *', echo, { queue: 'nightly', priority: 5 }).options.queue).toBe('nightly')
  })
})

describe('payload size', () => {
  const payload = { s: 'x'.repeat(2 * 1024 * 1024) }

  it('over 1 MiB is refused by default, naming maxPayload, and nothing is written', async () => {
    const client = new Client(db.broker)
    await expect(client.enqueue(echo, payload)).rejects.toThrow(/over the 1\.0 MB limit/)
    await expect(client.enqueue(echo, payload)).rejects.toMatchObject({ hint: expect.stringContaining('maxPayload') })
    expect(await jobsIn(client)).toBe(0)
  })

  it("the config's maxPayload raises it, and a task's own maxPayload wins over the config's", async () => {
    const raised = new Client(db.broker, undefined, { maxPayload: '4mb' })
    expect((await raised.enqueue(echo, payload)).created).toBe(true)
    const strict = task('strict', async () => 1, { maxPayload: '1kb' })
    await expect(raised.enqueue(strict, { s: 'x'.repeat(2000) })).rejects.toThrow(/over the 1\.0 KB limit/)
    expect(await jobsIn(raised)).toBe(1)
  })

  it('counts bytes, not characters', () => {
    const small = task('small', async () => 1, { maxPayload: 100 })
    expect(() => buildNewJob('small', small.options as never, 'é'.repeat(45))).not.toThrow() // 92 bytes with quotes
    expect(() => buildNewJob('small', small.options as never, 'é'.repeat(50))).toThrow(/over the 100 B limit/)
  })
})

describe('unique keys', () => {
  it('a.k with key sub:1 and a.k:sub with key 1 are different jobs on SQLite', async () => {
    const client = new Client(db.broker)
    const first = await client.enqueue('a.k', {}, { key: 'sub:1' })
    const second = await client.enqueue('a.k:sub', {}, { key: '1' })
    expect([first.created, second.created]).toEqual([true, true])
    expect(second.id).not.toBe(first.id)
    // The same pair again returns each task's own job.
    expect((await client.enqueue('a.k', {}, { key: 'sub:1' })).id).toBe(first.id)
    expect((await client.enqueue('a.k:sub', {}, { key: '1' })).id).toBe(second.id)
  })
})

describe('config validation', () => {
  const check = (config: unknown) => () => validateConfig(config as never, 'tq.config.ts')

  it('an unknown key is a ConfigError that names the closest known key', () => {
    expect(check({ wrker: {} })).toThrow(ConfigError)
    expect(check({ wrker: {} })).toThrow(expect.objectContaining({ hint: 'did you mean worker?' }))
    expect(check({ worker: { concurency: 2 } })).toThrow(expect.objectContaining({ message: 'tq.config.ts: unknown config key "worker.concurency"', hint: 'did you mean worker.concurrency?' }))
    expect(check({ retention: { faild: '1d' } })).toThrow(expect.objectContaining({ hint: 'did you mean retention.failed?' }))
    expect(check({ schedules: { nightly: { task: 'x', cron: '* * * * *', tzz: 'UTC' } } })).toThrow(expect.objectContaining({ hint: 'did you mean schedules.nightly.tz?' }))
    expect(check({ zzzzzz: 1 })).toThrow(expect.objectContaining({ hint: expect.stringContaining('known keys: broker, tasks') }))
  })

  it('queue names, priorities and maxPayload in the config follow the enqueue rules', () => {
    expect(check({ worker: { queues: ['default', 'a b'] } })).toThrow(/worker\.queues: invalid queue name "a b"/)
    expect(check({ schedules: { s: { task: 'x', cron: '* * * * *', priority: 1e20 } } })).toThrow(/invalid priority/)
    expect(check({ schedules: { s: { task: '', cron: '* * * * *' } } })).toThrow(/invalid task name/)
    expect(check({ maxPayload: 'big' })).toThrow(/maxPayload must be/)
    expect(check({ maxPayload: '2mb', worker: { queues: ['emails'] } })).not.toThrow()
  })

  it('closestName suggests typos only', () => {
    expect(closestName('wrker', ['worker', 'beat'])).toBe('worker')
    expect(closestName('retnetion', ['retention', 'tasks'])).toBe('retention')
    expect(closestName('colour', ['worker', 'beat'])).toBeUndefined()
  })
})
