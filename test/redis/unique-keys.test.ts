/** Unique keys of different tasks must not collide on Redis either (the key is stored as `<task>#<key>`). */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { Client } from '../../src/app/client.js'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import { deletePrefix, uniquePrefix, urlWith } from './helpers.js'

let prefix: string
let broker: Awaited<ReturnType<typeof RedisBroker.connect>>
let client: Client
beforeEach(async () => {
  prefix = uniquePrefix()
  broker = await RedisBroker.connect(urlWith({ prefix }))
  client = new Client(broker)
})
afterEach(async () => {
  await client.close()
  await deletePrefix(prefix)
})

it('a.k with key sub:1 and a.k:sub with key 1 are different jobs on Redis', async () => {
  const first = await client.enqueue('a.k', {}, { key: 'sub:1' })
  const second = await client.enqueue('a.k:sub', {}, { key: '1' })
  expect([first.created, second.created]).toEqual([true, true])
  expect(second.id).not.toBe(first.id)
  expect((await client.enqueue('a.k', {}, { key: 'sub:1' })).id).toBe(first.id)
  expect((await client.enqueue('a.k:sub', {}, { key: '1' })).id).toBe(second.id)
  const jobs = await broker.listJobs({ limit: 10 })
  expect(jobs.map((j) => [j.task, j.key]).sort()).toEqual([
    ['a.k', 'a.k#sub:1'],
    ['a.k:sub', 'a.k:sub#1'],
  ])
})

it('a unique key holding a lone surrogate is stored (as UTF-8 would store it) and still deduplicates', async () => {
  const first = await client.enqueue('t', {}, { key: 'a\uD800b' })
  const again = await client.enqueue('t', {}, { key: 'a\uD800b' })
  expect(first.created).toBe(true)
  expect(again.id).toBe(first.id)
  expect((await broker.getJob(first.id))!.key).toBe('t#a\uFFFDb')
})
