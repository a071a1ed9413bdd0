import { afterEach, describe, expect, it, vi } from 'vitest'
import { keyBase } from '../../src/broker/redis/url.js'
import type { ClaimedJob, NewJob } from '../../src/broker/types.js'
import type { HandingBroker } from '../../src/worker/engine-options.js'
import { redisScope } from './scope.js'

// Hand-off (src/broker/redis/scripts/handoff-lib.lua.ts): an enqueue gives a queued job, leased,
// straight to a worker parked on its queue, through the worker's inbox: no claim round trip.

const job = (over: Partial<NewJob> = {}): NewJob => ({ task: 't', queue: 'q', payload: '{}', priority: 0, runAt: Date.now(), maxAttempts: 1, ...over })
const claimReq = (over: Partial<{ workerId: string; limit: number; leaseMs: number }> = {}) => ({ workerId: 'w1', queues: ['q'], limit: 10, leaseMs: 30_000, ...over })

const { open, raw, startProxy, newPrefix, cleanup } = redisScope()
afterEach(cleanup)

describe('Redis hand-off to parked workers', () => {
  it('gives the job to the idle worker leased: its claim sends no command', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const worker = await open(prefix, proxy.url())
    const producer = await open(prefix)
    await worker.waitForChange(1000) // the first wait subscribes and returns
    expect((await worker.claim(claimReq())).jobs).toEqual([]) // drained: parked
    const [r] = await producer.enqueue([job({ payload: '"x"' })])
    // Leased to the worker by the enqueue itself.
    expect(await producer.getJob(r!.id)).toMatchObject({ state: 'active', attempt: 1 })
    // Its reader popped it, and wakes the worker's wait (the 'handoff' message does not).
    const redis = raw()
    await vi.waitFor(async () => expect(await redis.llen(`${keyBase(prefix)}inbox:w1`)).toBe(0), { timeout: 5000 })
    await worker.waitForChange(3_600_000)
    const before = proxy.commands
    const { jobs } = await worker.claim(claimReq())
    expect(proxy.commands - before).toBe(0)
    expect(jobs).toMatchObject([{ id: r!.id, payload: '"x"', attempt: 1 }])
    expect(await worker.settle([{ id: jobs[0]!.id, token: jobs[0]!.token, kind: 'succeeded', result: '1' }])).toEqual([true])
  })

  it("reports with handed jobs the next scheduled run its worker's last claim found", async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const [worker, producer] = [await open(prefix, proxy.url()), await open(prefix)]
    await worker.waitForChange(1000) // the first wait subscribes and returns
    const at = Date.now() + 3_600_000
    await producer.enqueue([job({ runAt: at })])
    await worker.waitForChange(3_600_000) // that enqueue's wake
    expect(await worker.claim(claimReq())).toEqual({ jobs: [], nextRunAt: at })
    const [r] = await producer.enqueue([job()])
    await worker.waitForChange(3_600_000) // the inbox reader's wake ('handoff' wakes no worker)
    const before = proxy.commands
    const { jobs, nextRunAt } = await worker.claim(claimReq())
    expect(proxy.commands - before).toBe(0)
    expect(jobs.map((j) => j.id)).toEqual([r!.id])
    // Not null: the worker, drained again, must still wake for the scheduled job.
    expect(nextRunAt).toBe(at)
  })

  it("tells workers of a settle only when it left something to claim ('settle'), not when jobs only ended ('ended', on the quiet channel)", async () => {
    const prefix = newPrefix()
    const [worker, producer] = [await open(prefix), await open(prefix)]
    const sub = raw()
    const got: string[] = []
    sub.on('message', (c: string, m: string) => got.push(c === `${prefix}events` ? m : `${c.slice(prefix.length)} ${m}`))
    await sub.subscribe(`${prefix}events`, `${prefix}events:quiet`)
    await producer.enqueue([job({ maxAttempts: 3 }), job({ maxAttempts: 3 })])
    const [a, b] = (await worker.claim(claimReq({ workerId: 'w9' }))).jobs
    await worker.settle([{ id: a!.id, token: a!.token, kind: 'succeeded', result: '1' }])
    await worker.settle([{ id: b!.id, token: b!.token, kind: 'failed', error: { message: 'x' }, retryAt: Date.now() + 60_000 }])
    await vi.waitFor(() => expect(got).toEqual(['enqueue', 'events:quiet ended', 'settle']), { timeout: 5000 })
  })

  it("wakes producers on a hand-off and a job's end; a broker with a parked worker does not even receive them", async () => {
    const prefix = newPrefix()
    const [worker, producer, watcher] = [await open(prefix), await open(prefix), await open(prefix)]
    await watcher.waitForChange(1000) // the first wait subscribes and returns
    expect((await worker.claim(claimReq())).jobs).toEqual([]) // drained: parked
    await worker.waitForChange(1000)
    // Both listen to the main channel; only the watcher to the quiet one.
    const subscribers = async () => (await raw().pubsub('NUMSUB', `${prefix}events`, `${prefix}events:quiet`)) as (string | number)[]
    expect(await subscribers()).toEqual([`${prefix}events`, 2, `${prefix}events:quiet`, 1])
    const woke = watcher.waitForChange(3_600_000)
    const [r] = await producer.enqueue([job()])
    expect(await producer.getJob(r!.id)).toMatchObject({ state: 'active' })
    await woke // 'handoff' on the quiet channel
    await worker.waitForChange(3_600_000) // the inbox reader's wake
    const { jobs } = await worker.claim(claimReq())
    const ended = watcher.waitForChange(3_600_000)
    expect(await worker.settle([{ id: jobs[0]!.id, token: jobs[0]!.token, kind: 'succeeded' }])).toEqual([true])
    await ended // 'ended' on the quiet channel
    // A broker listening before its worker parked leaves the quiet channel once it does.
    const late = await open(prefix)
    await late.waitForChange(1000)
    expect(await subscribers()).toEqual([`${prefix}events`, 3, `${prefix}events:quiet`, 2])
    expect((await late.claim(claimReq({ workerId: 'w2' }))).jobs).toEqual([])
    await vi.waitFor(async () => expect(await subscribers()).toEqual([`${prefix}events`, 3, `${prefix}events:quiet`, 1]), { timeout: 5000 })
  })

  it('counts a handed job on its way to the worker against its claims: never more jobs than slots', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const worker = await open(prefix, proxy.url())
    const [producer, peer] = [await open(prefix), await open(prefix)]
    expect((await worker.claim(claimReq({ limit: 1 }))).jobs).toEqual([]) // parked with one slot
    // The worker's connections are cut, and the test pops the handed job as its reader would: the
    // reply to that BLPOP is what never arrives.
    await proxy.stop()
    const [a] = await producer.enqueue([job({ payload: '"a"' })])
    expect(await producer.getJob(a!.id)).toMatchObject({ state: 'active' })
    // (If Redis had not seen the cut yet, its BLPOP popped it into the dead socket: the same case.)
    const redis = raw()
    await redis.lpop(`${keyBase(prefix)}inbox:w1`)
    expect(await redis.llen(`${keyBase(prefix)}inbox:w1`)).toBe(0)
    await proxy.start()
    const [b] = await producer.enqueue([job({ payload: '"b"' })]) // the slot is taken: b waits
    expect(await producer.getJob(b!.id)).toMatchObject({ state: 'queued' })
    // A claim racing the hand-off: a is on its way, so the one slot is not free for b.
    expect((await worker.claim(claimReq({ limit: 1 }))).jobs).toEqual([])
    expect((await peer.claim(claimReq({ workerId: 'w2' }))).jobs.map((c) => c.id)).toEqual([b!.id])
  })

  it('loses nothing handed to a worker that died: its lease lapses and the job runs elsewhere', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const dead = await open(prefix, proxy.url())
    const [producer, other] = [await open(prefix), await open(prefix)]
    expect((await dead.claim(claimReq({ leaseMs: 200 }))).jobs).toEqual([])
    await proxy.stop() // the worker is gone (kill -9): no stopClaiming
    const [r] = await producer.enqueue([job()])
    expect(await producer.getJob(r!.id)).toMatchObject({ state: 'active' })
    let got: string[] = []
    await vi.waitFor(
      async () => {
        await other.recoverExpired()
        got = (await other.claim(claimReq({ workerId: 'w2' }))).jobs.map((c) => `${c.id}@${c.attempt}`)
        expect(got).toHaveLength(1)
      },
      { timeout: 10_000, interval: 50 },
    )
    expect(got).toEqual([`${r!.id}@1`])
    await proxy.start() // so the dead broker's close() finds Redis
  })

  it('hands nothing to a parked worker whose heartbeat went stale (killed): the job waits for a live claim', async () => {
    const prefix = newPrefix()
    const dead = await open(prefix)
    const producer = await open(prefix)
    const info = { id: 'w1', host: 'h', pid: 1, queues: ['q'], concurrency: 10, running: [], startedAt: 0, lastBeatAt: 0 }
    await dead.heartbeat(info)
    expect((await dead.claim(claimReq())).jobs).toEqual([]) // parked
    // Its last beat, 4 s ago by the Redis clock (a worker beats every second).
    const r = raw()
    const [sec] = await r.time()
    await r.zadd(`${keyBase(prefix)}worker-beats`, Number(sec) * 1000 - 4000, 'w1')
    const [enq] = await producer.enqueue([job()])
    expect(await producer.getJob(enq!.id)).toMatchObject({ state: 'queued' })
    expect((await producer.claim(claimReq({ workerId: 'w2' }))).jobs.map((c) => c.id)).toEqual([enq!.id])
  })

  it('never hands a job to a paused queue, nor lets it pass older ready jobs', async () => {
    const prefix = newPrefix()
    const [worker, producer] = [await open(prefix), await open(prefix)]
    await producer.pause('q')
    const [older] = await producer.enqueue([job({ payload: '1' })])
    expect((await worker.claim(claimReq())).jobs).toEqual([]) // paused: parked, takes nothing
    const [paused] = await producer.enqueue([job({ payload: '2' })])
    expect(await producer.getJob(paused!.id)).toMatchObject({ state: 'queued' })
    await producer.resume('q')
    const [newer] = await producer.enqueue([job({ payload: '3' })])
    expect(await producer.getJob(newer!.id)).toMatchObject({ state: 'queued' })
    expect((await worker.claim(claimReq())).jobs.map((c) => c.id)).toEqual([older!.id, paused!.id, newer!.id])
  })

  it('puts back what a stopping worker was handed but never claimed, and hands it nothing more', async () => {
    const prefix = newPrefix()
    const [worker, producer] = [await open(prefix), await open(prefix)]
    expect((await worker.claim(claimReq())).jobs).toEqual([])
    const [a] = await producer.enqueue([job()])
    expect(await producer.getJob(a!.id)).toMatchObject({ state: 'active' })
    await worker.stopClaiming!('w1')
    expect(await producer.getJob(a!.id)).toMatchObject({ state: 'queued', attempt: 0 })
    const [b] = await producer.enqueue([job()])
    expect(await producer.getJob(b!.id)).toMatchObject({ state: 'queued' })
    expect(await raw().exists(`${keyBase(prefix)}park:w1`, `${keyBase(prefix)}inbox:w1`)).toBe(0)
  })

  it('gives a handed job to the engine that asked (deliverHanded) as its reader pops it; one refused waits for the claim', async () => {
    const prefix = newPrefix()
    const proxy = await startProxy()
    const worker = (await open(prefix, proxy.url())) as Awaited<ReturnType<typeof open>> & HandingBroker
    const producer = await open(prefix)
    const started: ClaimedJob[] = []
    let accept = true
    worker.deliverHanded!('w1', (j) => accept && started.push(j) > 0)
    await worker.waitForChange(1000) // the first wait subscribes and returns
    expect((await worker.claim(claimReq({ limit: 2 }))).jobs).toEqual([]) // drained: parked with 2 slots
    const [a] = await producer.enqueue([job({ payload: '"a"' })])
    await vi.waitFor(() => expect(started.map((j) => j.id)).toEqual([a!.id]), { timeout: 5000 })
    expect(started[0]).toMatchObject({ payload: '"a"', attempt: 1 })
    // Started already: no claim returns it again, and the next claim from Redis counts it as delivered.
    accept = false
    const [b] = await producer.enqueue([job({ payload: '"b"' })])
    await worker.waitForChange(3_600_000) // refused: the reader wakes the worker, whose claim returns it
    const before = proxy.commands
    const [handedB] = (await worker.claim(claimReq({ limit: 1 }))).jobs
    expect(handedB!.id).toBe(b!.id)
    expect(proxy.commands - before).toBe(0)
    expect(started).toHaveLength(1)
    // Both slots taken: a third job is not handed to this worker.
    const [c] = await producer.enqueue([job()])
    expect(await producer.getJob(c!.id)).toMatchObject({ state: 'queued' })
    for (const j of [started[0]!, handedB!]) expect(await worker.settle([{ id: j.id, token: j.token, kind: 'succeeded' }])).toEqual([true])
    expect((await worker.claim(claimReq())).jobs.map((j) => j.id)).toEqual([c!.id])
  })
})
