import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { SqliteBroker } from '../../src/broker/sqlite/sqlite-broker.js'
import type { NewJob } from '../../src/broker/types.js'
import { resolveJobId, resolveJobIds } from '../../src/cli-support/resolve-job-id.js'
import { TqError, UsageError } from '../../src/errors.js'

let dir: string
let broker: SqliteBroker
const job = (id?: string): NewJob => ({ id, task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1 })

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tq-resolve-'))
  broker = new SqliteBroker(join(dir, 'tq.db'))
})
afterEach(async () => {
  await broker.close()
  rmSync(dir, { recursive: true, force: true })
})

it('takes a whole id over the longer ids it is a prefix of', async () => {
  await broker.enqueue([job('abc'), job('abcd'), job('abce')])
  expect(await resolveJobId(broker, 'abc')).toBe('abc')
  expect(await resolveJobId(broker, 'abcd')).toBe('abcd')
})

it('names at most five candidates of an ambiguous fragment, and says there are more', async () => {
  const ids = (await broker.enqueue(Array.from({ length: 8 }, () => job()))).map((r) => r.id).sort()
  const err = await resolveJobId(broker, ids[0]!.slice(0, 8)).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(UsageError)
  expect((err as UsageError).oneLine()).toBe(`"${ids[0]!.slice(0, 8)}" is ambiguous: ${ids.slice(0, 5).join(', ')}, … (type more characters)`)
})

it('finds a slot by its time with or without milliseconds, and hex in upper case', async () => {
  await broker.enqueue([job('schedule:a:2026-03-02T02:00:00.000Z'), job('schedule:b:2026-03-02T02:00:00.500Z')])
  const [r] = await broker.enqueue([job()])
  expect(await resolveJobId(broker, '@02:00:00')).toBe('schedule:a:2026-03-02T02:00:00.000Z')
  expect(await resolveJobId(broker, '@02:00:00.500')).toBe('schedule:b:2026-03-02T02:00:00.500Z')
  expect(await resolveJobId(broker, r!.id.slice(-8).toUpperCase())).toBe(r!.id)
})

it('refuses an empty id as a usage error and an unknown one as a failure; resolves a list once per job', async () => {
  const [r] = await broker.enqueue([job()])
  await expect(resolveJobId(broker, ' ')).rejects.toBeInstanceOf(UsageError)
  const unknown = await resolveJobId(broker, 'nope').catch((e: unknown) => e)
  expect(unknown).toBeInstanceOf(TqError)
  expect((unknown as TqError).exitCode).toBe(1)
  expect(await resolveJobIds(broker, [r!.id, r!.id.slice(-8)])).toEqual([r!.id])
})
