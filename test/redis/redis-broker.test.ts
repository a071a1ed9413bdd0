import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { RedisBroker } from '../../src/broker/redis/redis-broker.js'
import type { Broker, ClaimedJob, NewJob, Outcome } from '../../src/broker/types.js'
import { JOB_STATES } from '../../src/broker/types.js'
import { BrokerError } from '../../src/errors.js'
import { deletePrefix, TEST_REDIS, uniquePrefix, urlWith } from './helpers.js'
import { checkInvariants } from './invariants.js'
import { canvasNode, chain, chord, group, type Canvas } from '../../src/app/canvas.js'
import { defineTask } from '../../src/app/task.js'
import { layOutWorkflow } from '../../src/app/workflow-layout.js'

const x = defineTask<any, any>('x')
const y = defineTask<any, any>('y')
import { RedisProxy } from './proxy.js'

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 3, ...over })

const opened: Broker[] = []
const prefixes: string[] = []
async function open(query: Record<string, string> = {}, base = TEST_REDIS): Promise<{ broker: Broker; prefix: string }> {
  const prefix = query.prefix ?? uniquePrefix()
  prefixes.push(prefix)
  const broker = await RedisBroker.connect(urlWith({ prefix, ...query }, base))
  opened.push(broker)
  return { broker, prefix }
}

afterEach(async () => {
  for (const b of opened.splice(0)) await b.close()
  for (const p of prefixes.splice(0)) await deletePrefix(p)
})

describe('Redis broker', () => {
  it('describes itself without the password', async () => {
    const { broker, prefix } = await open()
    expect(broker.describe).toBe(`redis://127.0.0.1:6379/0?prefix=${prefix}`)
  })

  // Several seeds: each run's timing (leases of 20 ms, short delays) differs, so the same seed
  // does not replay exactly; more runs reach more interleavings.
  it.each([42, 7, 1234, 2026])('keeps every index consistent with the jobs through a random workload (seed %i)', async (first) => {
    const { broker, prefix } = await open()
    let seed = first
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
    const queues = ['a', 'b', 'c:with:colons']
    const held: ClaimedJob[] = []
    const ids: string[] = []
    for (let step = 0; step < 400; step++) {
      if (step % 100 === 99) expect((await checkInvariants(prefix)).problems).toEqual([])
      const r = rand()
      if (r < 0.3) {
        const n = 1 + Math.floor(rand() * 5)
        const now = Date.now()
        const res = await broker.enqueue(
          Array.from({ length: n }, () =>
            job({
              queue: pick(queues),
              task: pick(['x', 'y']),
              priority: Math.floor(rand() * 3) - 1,
              runAt: rand() < 0.3 ? now + Math.floor(rand() * 80) : now - Math.floor(rand() * 50),
              key: rand() < 0.2 ? `k${Math.floor(rand() * 4)}` : undefined,
              expiresAt: rand() < 0.1 ? now + Math.floor(rand() * 60) : undefined,
              parentId: rand() < 0.2 && ids.length ? pick(ids) : undefined,
            }),
          ),
        )
        ids.push(...res.map((x) => x.id))
      } else if (r < 0.5) {
        held.push(...((await broker.claim({ workerId: 'w', queues: [pick(queues), pick(queues)], limit: 1 + Math.floor(rand() * 8), leaseMs: rand() < 0.3 ? 20 : 30_000 })).jobs))
      } else if (r < 0.7 && held.length) {
        const batch = held.splice(0, 1 + Math.floor(rand() * 6))
        const outcomes = batch.map((c): Outcome => {
          const k = rand()
          const base = { id: c.id, token: c.token }
          if (k < 0.3) return { ...base, kind: 'succeeded', result: '1', resultExpiresAt: rand() < 0.5 ? Date.now() + 10 : undefined }
          if (k < 0.5) return { ...base, kind: 'failed', error: { message: 'x' }, retryAt: rand() < 0.5 ? Date.now() + 30 : undefined }
          if (k < 0.65) return { ...base, kind: 'retry', runAt: Date.now() + 20 }
          if (k < 0.8) return { ...base, kind: 'released', runAt: rand() < 0.5 ? Date.now() + 20 : undefined }
          return { ...base, kind: 'cancelled' }
        })
        await broker.settle(outcomes)
      } else if (r < 0.73) {
        // A small random workflow over the same queues: its steps join the workload.
        const sig = () => pick([x, y]).s({}).set({ queue: pick(queues) })
        const shape = (depth: number): Canvas<any, any> => {
          const k = depth > 1 ? 0 : rand()
          if (k < 0.4) return sig()
          if (k < 0.7) return chain(shape(depth + 1), sig(), shape(depth + 1))
          if (k < 0.85) return group([shape(depth + 1), shape(depth + 1)])
          return chord([shape(depth + 1), sig()], sig(), { runAnyway: rand() < 0.5 } as { runAnyway: true })
        }
        const { id, jobs } = layOutWorkflow(canvasNode(shape(0)), Date.now())
        await broker.enqueue(jobs)
        ids.push(...jobs.map((j) => j.id!), id)
      } else if (r < 0.76 && ids.length) {
        await broker.cancel([pick(ids), pick(ids)])
      } else if (r < 0.82 && ids.length) {
        await broker.retry([pick(ids), pick(ids), pick(ids)])
      } else if (r < 0.86) {
        await broker.recoverExpired()
      } else if (r < 0.88) {
        await broker.purge({ queue: rand() < 0.5 ? pick(queues) : undefined, state: pick(['succeeded', 'queued', 'failed', undefined] as const) })
      } else if (r < 0.9) {
        await broker.prune({ finishedBefore: Date.now() - 10, failedBefore: rand() < 0.5 ? Date.now() : undefined })
      } else if (r < 0.93) {
        await (rand() < 0.3 ? broker.pause(pick(queues)) : broker.resume(pick(queues)))
      } else if (r < 0.96 && held.length) {
        await broker.renew(held.slice(0, 3), 30_000)
      } else {
        await new Promise((res) => setTimeout(res, 5))
      }
    }
    const { problems, tally } = await checkInvariants(prefix)
    expect(problems).toEqual([])
    const counts = await broker.counts()
    for (const q of counts) for (const s of JOB_STATES) expect(q.counts[s]).toBe(tally.get(q.queue)?.get(s) ?? 0)
    for (const [q, states] of tally) for (const [s, n] of states) expect(counts.find((c) => c.queue === q)?.counts[s as never]).toBe(n)
  })

  it('enqueues, claims and settles big batches in a few commands each, not one per job', async () => {
    const u = new URL(TEST_REDIS)
    const proxy = new RedisProxy(u.hostname, Number(u.port || 6379))
    await proxy.start()
    try {
      const { broker } = await open({}, proxy.url())
      const commandsFor = async <T>(op: () => Promise<T>): Promise<[T, number]> => {
        const before = proxy.commands
        const out = await op()
        return [out, proxy.commands - before]
      }
      // 5 script calls of 1000 jobs in one MULTI/EXEC, after a SCRIPT LOAD.
      const [, enqueueCommands] = await commandsFor(() => broker.enqueue(Array.from({ length: 5000 }, (_, i) => job({ payload: String(i) }))))
      const [{ jobs: claimed }, claimCommands] = await commandsFor(() => broker.claim({ workerId: 'w', queues: ['q'], limit: 5000, leaseMs: 30_000 }))
      const [settled, settleCommands] = await commandsFor(() => broker.settle(claimed.map((c) => ({ id: c.id, token: c.token, kind: 'succeeded' as const, result: '1' }))))
      expect(claimed.map((c) => Number(c.payload))).toEqual(Array.from({ length: 5000 }, (_, i) => i))
      expect(settled.every(Boolean)).toBe(true)
      expect(enqueueCommands).toBeLessThanOrEqual(10)
      // EVALSHA, and EVAL if the server did not have the script yet.
      expect(claimCommands).toBeLessThanOrEqual(2)
      expect(settleCommands).toBeLessThanOrEqual(2)
    } finally {
      await proxy.stop()
    }
  })

  it('purges and prunes more jobs than one script call deletes', async () => {
    const { broker } = await open()
    await broker.enqueue(Array.from({ length: 2500 }, () => job()))
    expect(await broker.purge({ queue: 'q' })).toBe(2500)
    expect(await broker.listJobs({})).toEqual([])
  })

  it('wakes a waiter on an enqueue elsewhere', async () => {
    const { broker, prefix } = await open()
    const { broker: peer } = await open({ prefix })
    await broker.waitForChange(1000) // the first wait subscribes and returns
    // A wait far longer than the test's timeout: it returns only if the change wakes it. (How soon:
    // bench/latency.js and the Redis latency in bench/redis.js.)
    const waiting = broker.waitForChange(3_600_000)
    await peer.enqueue([job()])
    await waiting
  })

  it('a drained claim reports the earliest scheduled run time of the queues asked for', async () => {
    const { broker } = await open()
    const at = Date.now() + 60_000
    await broker.enqueue([job({ queue: 'a', runAt: at + 5 }), job({ queue: 'b', runAt: at }), job({ queue: 'c', runAt: at - 5 })])
    const claimOf = (queues: string[]) => broker.claim({ workerId: 'w', queues, limit: 1, leaseMs: 1000 })
    expect((await claimOf(['a', 'b'])).nextRunAt).toBe(at)
    expect((await claimOf(['a'])).nextRunAt).toBe(at + 5)
    expect((await claimOf(['z'])).nextRunAt).toBeNull()
  })
})

describe('Redis broker connections', () => {
  let proxy: RedisProxy
  beforeAll(async () => {
    const u = new URL(TEST_REDIS)
    proxy = new RedisProxy(u.hostname, Number(u.port || 6379))
    await proxy.start()
  })
  afterAll(async () => {
    await proxy.stop()
  })

  it('fails to connect with a BrokerError after the bounded wait, without the password', async () => {
    const started = Date.now()
    const err = await RedisBroker.connect('redis://u:hunter2@127.0.0.1:1/0?connectTimeout=300').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BrokerError)
    expect((err as BrokerError).oneLine()).toMatch(/cannot reach Redis at redis:\/\/u:\*\*\*@127\.0\.0\.1:1\/0/)
    expect((err as BrokerError).oneLine()).not.toContain('hunter2')
    // It waited for the connection before giving up (an upper bound would be a timing, not a
    // semantic: a wait that never ended fails the test by its timeout).
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  })

  it('fails an enqueue during an outage after the bounded wait, then recovers on its own', async () => {
    const { broker } = await open({ connectTimeout: '400' }, proxy.url())
    await broker.enqueue([job()])
    await proxy.stop()
    const started = Date.now()
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    // Many operations waiting at once (a busy worker) share one wait for the reconnection.
    const reads = Array.from({ length: 30 }, () => broker.getJob('x').catch((e: unknown) => e))
    const err = await broker.enqueue([job()]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BrokerError)
    expect((err as BrokerError).oneLine()).toMatch(/cannot reach Redis/)
    for (const r of await Promise.all(reads)) expect(r).toBeInstanceOf(BrokerError)
    process.off('warning', onWarning)
    expect(warnings).toEqual([])
    // It waited its connectTimeout for the connection before failing.
    expect(Date.now() - started).toBeGreaterThanOrEqual(350)
    await proxy.start(proxy.port)
    // Reconnection retries at least every second; an operation waits for it (bounded).
    await vi.waitFor(() => broker.enqueue([job()]), { timeout: 30_000, interval: 100 })
    // Nothing was dropped silently and nothing ran twice: exactly the two acknowledged jobs.
    expect((await broker.counts())[0]!.counts.queued).toBe(2)
  })

  it('an enqueue whose reply was lost is sent again and finds its own jobs: created once, reported created', async () => {
    const { broker } = await open({}, proxy.url())
    proxy.cutReplyTo('cut-this-reply')
    const [a, b] = await broker.enqueue([job({ payload: '{"m":"cut-this-reply"}' }), job()])
    expect([a!.created, b!.created]).toEqual([true, true])
    expect((await broker.counts())[0]!.counts.queued).toBe(2)
    expect((await broker.listJobs({ limit: 10 })).map((j) => j.id).sort()).toEqual([a!.id, b!.id].sort())
  })

  it('keeps an idle worker to about two Redis commands a second', async () => {
    const { broker } = await open({}, proxy.url())
    const queues = ['default', 'emails']
    // The engine's idle loop: recover expired leases each second, claim (which reports the next run time), wait.
    let lastRecover = 0
    const loop = async (until: number) => {
      while (Date.now() < until) {
        if (Date.now() - lastRecover > 1000) {
          lastRecover = Date.now()
          await broker.recoverExpired()
        }
        const { nextRunAt: nextAt } = await broker.claim({ workerId: 'w', queues, limit: 10, leaseMs: 30_000 })
        const timeout = nextAt === null ? 1000 : Math.max(0, Math.min(1000, nextAt - Date.now()))
        await broker.waitForChange(Math.min(timeout, until - Date.now()))
      }
    }
    await loop(Date.now() + 1200) // connect, subscribe, settle down
    const before = proxy.commands
    await loop(Date.now() + 4000)
    const perSecond = (proxy.commands - before) / 4
    expect(perSecond).toBeLessThanOrEqual(2.5)
  })

  describe('with an ACL user', () => {
    const user = `tqtest-${randomBytes(4).toString('hex')}`
    const password = 'p@ss:w/rd'
    let admin: Redis
    beforeAll(async () => {
      admin = new Redis(TEST_REDIS)
      // Only keys and channels under tqtest:, so any key outside the prefix would be refused.
      await admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~tqtest:*', '&tqtest:*', '+@all')
    })
    afterAll(async () => {
      await admin.call('ACL', 'DELUSER', user)
      admin.disconnect()
    })
    const aclUrl = (pw: string) => {
      const u = new URL(TEST_REDIS)
      u.username = user
      u.password = encodeURIComponent(pw)
      return u.toString()
    }

    it('connects with user and password, and every key and channel stays under the prefix', async () => {
      const { broker, prefix } = await open({}, aclUrl(password))
      const { broker: peer } = await open({ prefix }, aclUrl(password))
      expect(broker.describe).not.toContain(password)
      expect(broker.describe).toContain(`${user}:***@`)
      await broker.waitForChange(500)
      const waiting = broker.waitForChange(5000)
      const [r] = await peer.enqueue([job({ key: 'k', runAt: Date.now() - 1 })])
      await waiting
      const [c] = (await broker.claim({ workerId: 'w', queues: ['q'], limit: 1, leaseMs: 1000 })).jobs
      expect(c!.id).toBe(r!.id)
      expect(await broker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '2', resultExpiresAt: Date.now() - 1 }])).toEqual([true])
      await broker.prune({ finishedBefore: Date.now() + 1 })
      expect(await broker.takeRateTokens('r', 1000, 1)).toMatchObject({ granted: 1 })
      await broker.heartbeat({ id: 'w', host: 'h', pid: 1, queues: ['q'], concurrency: 1, running: [], startedAt: 1, lastBeatAt: 2 })
      expect(await broker.counts()).toEqual([])
    })

    it('fails fast on a wrong password, naming neither password', async () => {
      // Fast: it does not retry for the connectTimeout, which is longer than the test's timeout.
      const err = await RedisBroker.connect(urlWith({ prefix: uniquePrefix(), connectTimeout: '1h' }, aclUrl('wrong-one'))).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BrokerError)
      expect((err as BrokerError).oneLine()).toMatch(/refused the credentials/)
      expect((err as BrokerError).oneLine()).not.toMatch(/wrong-one|p@ss/)
    })
  })
})
