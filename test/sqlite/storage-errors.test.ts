import { closeSync, openSync, writeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BrokerError } from '../../src/errors.js'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import { withStorageErrors } from '../../src/broker/sqlite/storage-errors.js'
import { freshSqliteBroker } from '../helpers/sqlite.js'

const db = freshSqliteBroker('storage-errors')
const job = () => ({ task: 't', queue: 'default', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 })

describe('SQLite storage errors', () => {
  it('the wrapped broker answers as the broker does: its properties, its methods (run on the broker itself)', async () => {
    const wrapped = withStorageErrors(db.broker, db.file)
    expect(wrapped.describe).toBe(db.broker.describe)
    expect(wrapped).toBeInstanceOf(SqliteBroker)
    const [r] = await wrapped.enqueue([job()])
    expect((await wrapped.getJob(r!.id))!.state).toBe('queued')
    expect((await db.broker.getJob(r!.id))!.id).toBe(r!.id)
  })

  it("a damaged file: the wrapped broker's calls fail with one BrokerError naming the file", async () => {
    await db.broker.enqueue(Array.from({ length: 2000 }, job))
    await db.broker.close()
    // Garbage over pages of the jobs table; the schema (the first pages) is left intact, so the file opens.
    const fd = openSync(db.file, 'r+')
    writeSync(fd, Buffer.alloc(131072, 0xde), 0, 131072, 30 * 2048)
    closeSync(fd)
    db.broker = new SqliteBroker(db.file)
    const wrapped = withStorageErrors(db.broker, db.file)
    const err = await wrapped.listJobs({ state: 'queued', limit: 10_000 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BrokerError)
    expect((err as Error).message).toMatch(/damaged|not a tq database/)
    expect((err as Error).message).toContain(db.file)
  })
})
