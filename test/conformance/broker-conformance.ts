/**
 * The Broker conformance suite: every behaviour of the Broker interface, written once and run
 * unchanged against each implementation (sqlite.test.ts, redis.test.ts). A behaviour added to
 * a broker is added here.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Broker, ClaimedJob, NewJob, TqEvent } from '../../src/broker/types.js'
import { canvasNode, chain } from '../../src/app/canvas.js'
import { defineTask } from '../../src/app/task.js'
import { layOutWorkflow } from '../../src/app/workflow-layout.js'
import { awaitJobEnd } from '../../src/broker/wait-for-job.js'
import { workflowCases } from './workflow-cases.js'

export interface BrokerFixture {
  /** A fresh, empty broker. */
  open(): Promise<Broker>
  /** A second connection to the same store, as another process would have. */
  openPeer(): Promise<Broker>
  cleanup(): Promise<void>
}

const job = (over: Partial<NewJob> = {}): NewJob => ({
  task: 't',
  queue: 'q',
  payload: '{"n":1}',
  priority: 0,
  runAt: Date.now(),
  maxAttempts: 1,
  ...over,
})

const claimReq = (over: Partial<{ queues: string[]; limit: number; leaseMs: number; workerId: string }> = {}) => ({
  workerId: 'w1',
  queues: ['q'],
  limit: 10,
  leaseMs: 30_000,
  ...over,
})

/** Claims until `n` jobs come back or the deadline passes (for jobs that become due soon). */
async function claimWithin(broker: Broker, n: number, ms: number, req = claimReq()): Promise<ClaimedJob[]> {
  const got: ClaimedJob[] = []
  const deadline = Date.now() + ms
  while (got.length < n && Date.now() < deadline) {
    got.push(...((await broker.claim({ ...req, limit: n - got.length })).jobs))
    if (got.length < n) await broker.waitForChange(20)
  }
  return got
}

export function brokerConformance(name: string, makeFixture: () => Promise<BrokerFixture>): void {
  describe(`Broker conformance: ${name}`, () => {
    let fx: BrokerFixture
    let broker: Broker

    beforeEach(async () => {
      fx = await makeFixture()
      broker = await fx.open()
    })
    afterEach(async () => {
      await broker.close()
      await fx.cleanup()
    })

    describe('enqueue', () => {
      it('stores a job as queued with the SPEC JSON shape', async () => {
        const [r] = await broker.enqueue([job({ payload: '{"to":"a@b.c"}', priority: 3, maxAttempts: 4 })])
        expect(r!.created).toBe(true)
        const j = await broker.getJob(r!.id)
        expect(j).toMatchObject({
          id: r!.id, task: 't', queue: 'q', state: 'queued', payload: { to: 'a@b.c' }, priority: 3,
          attempt: 0, maxAttempts: 4, startedAt: null, finishedAt: null, result: null, error: null, progress: null, parentId: null,
        })
        expect(new Date(j!.createdAt).toISOString()).toBe(j!.createdAt)
      })

      it('makes a job with a future run time scheduled, and hands it out only once due', async () => {
        const [later] = await broker.enqueue([job({ runAt: Date.now() + 60_000 })])
        const [soon] = await broker.enqueue([job({ runAt: Date.now() + 1000 })])
        expect((await broker.getJob(later!.id))!.state).toBe('scheduled')
        expect((await broker.claim(claimReq())).jobs).toEqual([])
        const claimed = await claimWithin(broker, 1, 5000)
        expect(claimed.map((c) => c.id)).toEqual([soon!.id])
        // Started (by the broker's clock) no earlier than it was due.
        const s = (await broker.getJob(soon!.id))!
        expect(Date.parse(s.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s.runAt))
        // Drained, the claim says when the next delayed job is due, so an idle worker can sleep till then.
        expect((await broker.claim(claimReq())).nextRunAt).toBe(new Date((await broker.getJob(later!.id))!.runAt).getTime())
      })

      it('a drained claim reports the next run time of the queues asked about, not of others', async () => {
        const now = Date.now()
        const [q1] = await broker.enqueue([job({ queue: 'q1', runAt: now + 60_000 })])
        const [q2] = await broker.enqueue([job({ queue: 'q2', runAt: now + 30_000 })])
        const [q4later] = await broker.enqueue([job({ queue: 'q4', runAt: now + 10_000 }), job({ queue: 'q4' })])
        const at = async (id: string) => Date.parse((await broker.getJob(id))!.runAt)
        const nextRunAt = async (queues: string[]) => (await broker.claim(claimReq({ queues }))).nextRunAt
        expect(await nextRunAt(['q1'])).toBe(await at(q1!.id))
        expect(await nextRunAt(['q2'])).toBe(await at(q2!.id))
        expect(await nextRunAt(['q1', 'q2'])).toBe(await at(q2!.id))
        expect(await nextRunAt(['q3'])).toBeNull()
        expect(await nextRunAt([])).toBeNull()
        // Draining q4 reports its own delayed job; other queues' answers stay as they were.
        const drained = await broker.claim(claimReq({ queues: ['q4'] }))
        expect(drained.jobs).toHaveLength(1)
        expect(drained.nextRunAt).toBe(await at(q4later!.id))
        expect(await nextRunAt(['q1', 'q3'])).toBe(await at(q1!.id))
      })

      it('a claim that fills its limit reports no next run time (the worker claims again at once)', async () => {
        await broker.enqueue([job({ queue: 'q5' }), job({ queue: 'q5' }), job({ queue: 'q5', runAt: Date.now() + 60_000 })])
        const full = await broker.claim(claimReq({ queues: ['q5'], limit: 2 }))
        expect(full.jobs).toHaveLength(2)
        expect(full.nextRunAt).toBeNull()
      })

      it('enqueues a batch in order, atomically', async () => {
        const rs = await broker.enqueue(Array.from({ length: 500 }, (_, i) => job({ payload: String(i) })))
        expect(rs).toHaveLength(500)
        const claimed = (await broker.claim(claimReq({ limit: 500 }))).jobs
        expect(claimed.map((c) => Number(c.payload))).toEqual(Array.from({ length: 500 }, (_, i) => i))
      })

      it('refuses a second job with the same deterministic id', async () => {
        const [a] = await broker.enqueue([job({ id: 'slot:1' })])
        const [b] = await broker.enqueue([job({ id: 'slot:1', payload: '2' })])
        expect(a).toEqual({ id: 'slot:1', created: true })
        expect(b).toEqual({ id: 'slot:1', created: false })
        expect((await broker.getJob('slot:1'))!.payload).toEqual({ n: 1 })
      })

      it('returns the live job for a unique key, and allows a new one once it finished', async () => {
        const [a] = await broker.enqueue([job({ key: 'k1' })])
        const [b] = await broker.enqueue([job({ key: 'k1' })])
        expect(b).toEqual({ id: a!.id, created: false })
        const [c] = (await broker.claim(claimReq())).jobs
        const [again] = await broker.enqueue([job({ key: 'k1' })])
        expect(again!.id).toBe(a!.id) // still active
        await broker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '1' }])
        const [d] = await broker.enqueue([job({ key: 'k1' })])
        expect(d!.created).toBe(true)
        expect(d!.id).not.toBe(a!.id)
      })

      it("a claim's token is at least the broker's clock in ms: a claim lost in a crash or restore cannot have its token issued again", async () => {
        const before = Date.now() - 60_000 // the broker's clock may differ a little from ours
        await broker.enqueue([job({ maxAttempts: 3 })])
        const [first] = (await broker.claim(claimReq({ limit: 1 }))).jobs
        expect(first!.token).toBeGreaterThan(before)
        await broker.settle([{ id: first!.id, token: first!.token, kind: 'released' }])
        const [second] = (await broker.claim(claimReq({ limit: 1 }))).jobs
        expect(second!.token).toBeGreaterThan(first!.token)
      })

      it('does not retry a job whose unique key another live job holds now, nor two that share a key', async () => {
        // Claims of one job with a limit of one: a worker left with slots free may be handed the next
        // enqueue's job (Redis), which this test claims by hand.
        const [a] = await broker.enqueue([job({ key: 'k2' })])
        const [ca] = (await broker.claim(claimReq({ limit: 1 }))).jobs
        await broker.settle([{ id: ca!.id, token: ca!.token, kind: 'failed', error: { message: 'x' } }])
        const [b] = await broker.enqueue([job({ key: 'k2' })])
        expect(b!.created).toBe(true)
        expect(await broker.retry([a!.id])).toEqual([])
        expect((await broker.getJob(a!.id))!.state).toBe('failed')
        const [cb] = (await broker.claim(claimReq({ limit: 1 }))).jobs
        expect(cb!.id).toBe(b!.id)
        await broker.settle([{ id: cb!.id, token: cb!.token, kind: 'cancelled' }])
        // Both ended: one of them comes back, and holds the key.
        const back = await broker.retry([a!.id, b!.id])
        expect(back).toHaveLength(1)
        expect((await broker.enqueue([job({ key: 'k2' })]))[0]).toEqual({ id: back[0], created: false })
      })
    })

    describe('finding ids', () => {
      it('finds jobs by the end or the start of their id, up to a limit', async () => {
        // 300: past Redis's small-set encoding, so the scan pages through a real hash table.
        const rs = await broker.enqueue(Array.from({ length: 300 }, () => job()))
        const ids = rs.map((r) => r.id)
        for (const id of [ids[0]!, ids[150]!, ids[299]!]) expect(await broker.findJobIds(id.slice(-8), 10)).toEqual([id])
        // The shortest prefix that only ids[3] has finds ids[3] alone.
        let n = 1
        while (ids.filter((id) => id.startsWith(ids[3]!.slice(0, n))).length > 1) n++
        expect(await broker.findJobIds(ids[3]!.slice(0, n), 10)).toEqual([ids[3]])
        // Ids made in one process share their first characters: a short prefix matches them all.
        const common = ids[0]!.slice(0, 8)
        expect((await broker.findJobIds(common, 1000)).sort()).toEqual(ids.filter((id) => id.startsWith(common)).sort())
        expect(await broker.findJobIds(common, 3)).toHaveLength(3)
        expect(await broker.findJobIds('zzzzzzzz', 10)).toEqual([])
        expect(await broker.findJobIds('', 10)).toEqual([])
      })

      it('finds schedule slots by their time, and takes glob characters literally', async () => {
        await broker.enqueue([job({ id: 'schedule:a:2026-03-02T02:00:00.000Z' }), job({ id: 'schedule:b:2026-03-02T02:00:00.000Z' })])
        await broker.enqueue([job({ id: 'x*y' }), job({ id: 'x1y' }), job({ id: 'x[1]y' })])
        expect((await broker.findJobIds('T02:00:00.000Z', 10)).sort()).toEqual(['schedule:a:2026-03-02T02:00:00.000Z', 'schedule:b:2026-03-02T02:00:00.000Z'])
        expect(await broker.findJobIds('schedule:b:', 10)).toEqual(['schedule:b:2026-03-02T02:00:00.000Z'])
        expect(await broker.findJobIds('x*', 10)).toEqual(['x*y'])
        expect(await broker.findJobIds('[1]y', 10)).toEqual(['x[1]y'])
        expect(await broker.findJobIds('?y', 10)).toEqual([])
      })
    })

    describe('claim', () => {
      it('hands out higher priority first, then earlier run time', async () => {
        const now = Date.now()
        await broker.enqueue([job({ payload: '"low"', priority: 0, runAt: now - 10 })])
        await broker.enqueue([job({ payload: '"high"', priority: 5, runAt: now })])
        await broker.enqueue([job({ payload: '"low-older"', priority: 0, runAt: now - 20 })])
        const order: string[] = []
        for (let i = 0; i < 3; i++) order.push(JSON.parse(((await broker.claim(claimReq({ limit: 1 }))).jobs)[0]!.payload))
        expect(order).toEqual(['high', 'low-older', 'low'])
      })

      it('hands out a job whose run time has a fraction of a millisecond (a delay of 0.5 ms, a computed retry)', async () => {
        const now = Date.now()
        const made = await broker.enqueue([job({ runAt: now - 1000.5 }), job({ runAt: now - 1000 })])
        const claimed = (await broker.claim(claimReq({ limit: 10 }))).jobs
        expect(claimed.map((c) => c.id).sort()).toEqual(made.map((m) => m.id).sort())
      })

      it('takes only from the queues asked for', async () => {
        await broker.enqueue([job({ queue: 'a' }), job({ queue: 'b' })])
        const claimed = (await broker.claim(claimReq({ queues: ['b'] }))).jobs
        expect(claimed.map((c) => c.queue)).toEqual(['b'])
      })

      it('marks claimed jobs active with a lease, attempt and token', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        expect(c).toMatchObject({ id: r!.id, attempt: 1, task: 't', queue: 'q', payload: '{"n":1}' })
        const j = await broker.getJob(r!.id)
        expect(j!.state).toBe('active')
        expect(j!.startedAt).not.toBeNull()
      })

      it('never hands one job to two concurrent claimers', async () => {
        const peer = await fx.openPeer()
        try {
          await broker.enqueue(Array.from({ length: 400 }, () => job()))
          const seen: string[] = []
          const worker = async (b: Broker, id: string) => {
            for (;;) {
              const got = (await b.claim(claimReq({ workerId: id, limit: 7 }))).jobs
              if (got.length === 0) return
              seen.push(...got.map((g) => g.id))
            }
          }
          await Promise.all([worker(broker, 'a'), worker(peer, 'b'), worker(broker, 'c'), worker(peer, 'd')])
          expect(seen).toHaveLength(400)
          expect(new Set(seen).size).toBe(400)
        } finally {
          await peer.close()
        }
      })

      it('hands out nothing from a paused queue until it is resumed', async () => {
        await broker.enqueue([job()])
        await broker.pause('q')
        expect((await broker.claim(claimReq())).jobs).toEqual([])
        expect((await broker.counts()).find((q) => q.queue === 'q')).toMatchObject({ paused: true })
        await broker.enqueue([job()])
        await broker.resume('q')
        expect((await broker.claim(claimReq())).jobs).toHaveLength(2)
      })

      it('expires a job not started by its deadline instead of running it', async () => {
        const [r] = await broker.enqueue([job({ expiresAt: Date.now() - 1 })])
        expect((await broker.claim(claimReq())).jobs).toEqual([])
        expect((await broker.getJob(r!.id))!.state).toBe('expired')
      })
    })

    describe('leases and fencing', () => {
      it('accepts completion from the lease holder and stores the result', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        expect(await broker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '{"ok":true}' }])).toEqual([true])
        const j = await broker.getJob(r!.id)
        expect(j).toMatchObject({ state: 'succeeded', result: { ok: true } })
        expect(j!.finishedAt).not.toBeNull()
      })

      it('settles a mixed batch outcome by outcome, in order: each accepted or refused on its own token', async () => {
        const made = await broker.enqueue([job(), job(), job(), job(), job()])
        const claimed = (await broker.claim(claimReq({ limit: 5 }))).jobs
        const by = new Map(claimed.map((c) => [c.id, c]))
        const [a, b, c, d, e] = made.map((m) => by.get(m.id)!)
        const reply = await broker.settle([
          { id: a!.id, token: a!.token, kind: 'succeeded', result: undefined },
          { id: b!.id, token: b!.token, kind: 'failed', error: { message: 'no' } },
          { id: c!.id, token: c!.token + 1, kind: 'succeeded', result: undefined },
          { id: d!.id, token: d!.token, kind: 'succeeded', result: '7' },
          { id: e!.id, token: e!.token, kind: 'succeeded', result: undefined },
        ])
        expect(reply).toEqual([true, true, false, true, true])
        const states = await Promise.all(made.map(async (m) => (await broker.getJob(m.id))!))
        expect(states.map((j) => j.state)).toEqual(['succeeded', 'failed', 'active', 'succeeded', 'succeeded'])
        expect(states.map((j) => j.result)).toEqual([null, null, null, 7, null])
      })

      it('makes a job claimable again once its lease lapses, and rejects the stale holder', async () => {
        const [r] = await broker.enqueue([job()])
        const [first] = (await broker.claim(claimReq({ leaseMs: 1000, workerId: 'dead' }))).jobs
        expect(await broker.recoverExpired()).toBe(0)
        const deadline = Date.now() + 5000
        let recovered = 0
        while (recovered === 0 && Date.now() < deadline) {
          recovered = await broker.recoverExpired()
          if (!recovered) await broker.waitForChange(20)
        }
        expect(recovered).toBe(1)
        const [second] = (await broker.claim(claimReq({ workerId: 'alive' }))).jobs
        expect(second!.id).toBe(r!.id)
        expect(second!.token).not.toBe(first!.token)
        // The lost attempt does not count against the job.
        expect(second!.attempt).toBe(1)
        expect(await broker.settle([{ id: first!.id, token: first!.token, kind: 'succeeded', result: '"stale"' }])).toEqual([false])
        expect((await broker.renew([{ id: first!.id, token: first!.token }], 1000)).lost).toEqual([first!.id])
        expect(await broker.settle([{ id: second!.id, token: second!.token, kind: 'succeeded', result: '"fresh"' }])).toEqual([true])
        expect((await broker.getJob(r!.id))!.result).toBe('fresh')
      })

      it('keeps a renewed lease alive past its first expiry', async () => {
        await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq({ leaseMs: 1000 }))).jobs
        const until = Date.now() + 2500 // well past the first expiry
        while (Date.now() < until) {
          expect((await broker.renew([{ id: c!.id, token: c!.token }], 1000)).lost).toEqual([])
          expect(await broker.recoverExpired()).toBe(0)
          await broker.waitForChange(100)
        }
        expect((await broker.claim(claimReq())).jobs).toEqual([])
      })

      it('counts the lease from the claim, not from the run time', async () => {
        await broker.enqueue([job({ runAt: Date.now() - 60_000 })])
        await broker.claim(claimReq({ leaseMs: 30_000 }))
        expect(await broker.recoverExpired()).toBe(0)
      })

      it('records a failure with retry as scheduled, keeping the attempt and the error', async () => {
        const [r] = await broker.enqueue([job({ maxAttempts: 3 })])
        const [c] = (await broker.claim(claimReq())).jobs
        const error = { name: 'Error', message: 'boom', attempt: 1, at: new Date().toISOString() }
        expect(await broker.settle([{ id: c!.id, token: c!.token, kind: 'failed', error, retryAt: Date.now() + 60_000 }])).toEqual([true])
        const j = await broker.getJob(r!.id)
        expect(j).toMatchObject({ state: 'scheduled', attempt: 1, error: { message: 'boom' } })
        expect(j!.errors).toHaveLength(1)
      })

      it('reschedules a requested retry counting the attempt but recording no error', async () => {
        const [r] = await broker.enqueue([job({ maxAttempts: 3 })])
        const [c] = (await broker.claim(claimReq())).jobs
        expect(await broker.settle([{ id: c!.id, token: c!.token, kind: 'retry', runAt: Date.now() + 60_000 }])).toEqual([true])
        expect(await broker.getJob(r!.id)).toMatchObject({ state: 'scheduled', attempt: 1, error: null, errors: [] })
      })

      it('records a final failure as failed with every attempt error', async () => {
        const [r] = await broker.enqueue([job({ maxAttempts: 2 })])
        const [c1] = (await broker.claim(claimReq())).jobs
        await broker.settle([{ id: c1!.id, token: c1!.token, kind: 'failed', error: { message: 'one' }, retryAt: Date.now() - 1 }])
        const [c2] = (await broker.claim(claimReq())).jobs
        expect(c2!.attempt).toBe(2)
        await broker.settle([{ id: c2!.id, token: c2!.token, kind: 'failed', error: { message: 'two' } }])
        const j = await broker.getJob(r!.id)
        expect(j).toMatchObject({ state: 'failed', attempt: 2, error: { message: 'two' } })
        expect(j!.errors.map((e) => e.message)).toEqual(['one', 'two'])
      })

      it('releases a job back to the queue without counting the attempt', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        await broker.settle([{ id: c!.id, token: c!.token, kind: 'released' }])
        expect((await broker.getJob(r!.id))!).toMatchObject({ state: 'queued', attempt: 0 })
      })

      it('stores progress only from the lease holder', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        expect(await broker.progress(c!.id, c!.token, '0.5')).toBe(true)
        expect(await broker.progress(c!.id, c!.token + 1, '0.9')).toBe(false)
        expect((await broker.getJob(r!.id))!.progress).toBe(0.5)
      })
    })

    describe('operations', () => {
      it('cancels waiting jobs at once and flags active ones for their worker', async () => {
        const [waiting] = await broker.enqueue([job({ queue: 'other' })])
        const [scheduled] = await broker.enqueue([job({ runAt: Date.now() + 60_000 })])
        const [active] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        expect(c!.id).toBe(active!.id)
        const res = await broker.cancel([waiting!.id, scheduled!.id, active!.id])
        expect(res.cancelled.sort()).toEqual([waiting!.id, scheduled!.id].sort())
        expect(res.aborting).toEqual([active!.id])
        // The holder learns of it when it renews the lease: one call says lost and cancelled.
        expect(await broker.renew([{ id: c!.id, token: c!.token }], 30_000)).toEqual({ lost: [], cancelRequested: [active!.id] })
        expect((await broker.claim(claimReq({ queues: ['q', 'other'] }))).jobs).toEqual([])
        expect(await broker.settle([{ id: c!.id, token: c!.token, kind: 'cancelled', error: { message: 'cancelled' } }])).toEqual([true])
        expect((await broker.getJob(active!.id))!.state).toBe('cancelled')
      })

      it('retries failed jobs with a fresh attempt budget', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        await broker.settle([{ id: c!.id, token: c!.token, kind: 'failed', error: { message: 'x' } }])
        expect(await broker.failedIds()).toEqual([r!.id])
        expect(await broker.retry([r!.id])).toEqual([r!.id])
        expect((await broker.getJob(r!.id))!).toMatchObject({ state: 'queued', attempt: 0 })
        expect(await broker.retry([r!.id])).toEqual([]) // not failed any more
      })

      it('lists the failed jobs of one queue, or of every queue', async () => {
        const [a, b, c] = await broker.enqueue([job({ queue: 'q1' }), job({ queue: 'q2' }), job({ queue: 'q1' })])
        for (const [id, queue] of [[a!.id, 'q1'], [b!.id, 'q2'], [c!.id, 'q1']] as const) {
          const [claimed] = (await broker.claim(claimReq({ queues: [queue], limit: 1 }))).jobs
          expect(claimed!.id).toBe(id)
          await broker.settle([{ id, token: claimed!.token, kind: 'failed', error: { message: 'x' } }])
        }
        expect(await broker.failedIds('q1')).toEqual([a!.id, c!.id])
        expect(await broker.failedIds('q2')).toEqual([b!.id])
        expect(await broker.failedIds('q3')).toEqual([])
        expect(await broker.failedIds()).toEqual([a!.id, b!.id, c!.id])
      })

      it('counts jobs by queue and state, and purges all but active ones', async () => {
        await broker.enqueue([job(), job(), job({ queue: 'b' })])
        await broker.claim(claimReq({ limit: 1 }))
        const counts = await broker.counts()
        expect(counts.find((q) => q.queue === 'q')!.counts).toMatchObject({ queued: 1, active: 1 })
        expect(counts.find((q) => q.queue === 'b')!.counts).toMatchObject({ queued: 1 })
        expect(await broker.purge({ queue: 'q' })).toBe(1)
        expect(await broker.purge({})).toBe(1)
        expect((await broker.counts()).find((q) => q.queue === 'q')!.counts.active).toBe(1)
      })

      it('lists each state newest first: waiting and running jobs by enqueue order, finished ones by finish time', async () => {
        const [a, b, c] = await broker.enqueue([job(), job(), job({ queue: 'z' })])
        const [s1, s2] = await broker.enqueue([job({ runAt: Date.now() + 60_000 }), job({ runAt: Date.now() + 60_000, queue: 'z' })])
        const ids = async (f: Parameters<Broker['listJobs']>[0]) => (await broker.listJobs(f)).map((j) => j.id)
        expect(await ids({ state: 'queued' })).toEqual([c!.id, b!.id, a!.id])
        expect(await ids({ state: 'queued', queue: 'q' })).toEqual([b!.id, a!.id])
        expect(await ids({ state: 'scheduled' })).toEqual([s2!.id, s1!.id])
        expect(await ids({ state: 'scheduled', queue: 'q', limit: 1 })).toEqual([s1!.id])
        const claimed = (await broker.claim(claimReq({ queues: ['q', 'z'], limit: 3 }))).jobs
        expect(await ids({ state: 'active' })).toEqual([c!.id, b!.id, a!.id])
        expect(await ids({ state: 'queued' })).toEqual([])
        // Finished in the order c, a, b: listed b, a, c.
        const byId = new Map(claimed.map((j) => [j.id, j]))
        for (const id of [c!.id, a!.id, b!.id]) {
          const j = byId.get(id)!
          expect(await broker.settle([{ id, token: j.token, kind: 'succeeded', result: '1' }])).toEqual([true])
          await new Promise((r) => setTimeout(r, 5)) // distinct finish times
        }
        expect(await ids({ state: 'succeeded' })).toEqual([b!.id, a!.id, c!.id])
        expect(await ids({ state: 'succeeded', queue: 'z' })).toEqual([c!.id])
        expect(await ids({})).toEqual([s2!.id, s1!.id, c!.id, b!.id, a!.id])
      })

      it('pages a listing with offset: each page continues where the last ended, in every listing shape', async () => {
        const made = await broker.enqueue(Array.from({ length: 7 }, (_, i) => job({ task: i % 2 ? 'odd' : 'even', queue: i < 4 ? 'q' : 'z' })))
        const newest = made.map((r) => r.id).reverse()
        const pages = async (f: Parameters<Broker['listJobs']>[0]) => {
          const out: string[][] = []
          for (let offset = 0; ; offset += 3) {
            const page = (await broker.listJobs({ ...f, limit: 3, offset })).map((j) => j.id)
            if (page.length === 0) return out
            out.push(page)
          }
        }
        expect(await pages({})).toEqual([newest.slice(0, 3), newest.slice(3, 6), newest.slice(6)])
        expect((await pages({ state: 'queued' })).flat()).toEqual(newest)
        const odd = newest.filter((_, i) => (6 - i) % 2 === 1)
        expect((await pages({ task: 'odd' })).flat()).toEqual(odd)
        expect((await pages({ queue: 'q', state: 'queued' })).flat()).toEqual(newest.slice(3))
        expect(await broker.listJobs({ offset: 7 })).toEqual([])
        // Finished jobs page by finish time, as they are listed.
        const claimed = (await broker.claim(claimReq({ queues: ['q', 'z'], limit: 7 }))).jobs
        for (const c of claimed) expect(await broker.settle([{ id: c.id, token: c.token, kind: 'succeeded', result: '1' }])).toEqual([true])
        const done = (await broker.listJobs({ state: 'succeeded' })).map((j) => j.id)
        expect((await pages({ state: 'succeeded' })).flat()).toEqual(done)
        expect(done).toHaveLength(7)
      })

      it('pages a workflow\'s steps and the waiting state with offset, as it lists them', async () => {
        const t = defineTask<any, any>('t')
        // A chain of 7 links: 6 wait, and the join; 8 jobs of one workflow.
        const { id, jobs } = layOutWorkflow(canvasNode(chain(t.s({}), t.s(), t.s(), t.s(), t.s(), t.s(), t.s())), Date.now())
        await broker.enqueue(jobs)
        const paged = async (f: Parameters<Broker['listJobs']>[0]) => {
          const out: string[] = []
          for (let offset = 0; offset < 20; offset += 3) out.push(...(await broker.listJobs({ ...f, limit: 3, offset })).map((j) => j.id))
          return out
        }
        const all = (await broker.listJobs({ workflowId: id })).map((j) => j.id)
        expect(all).toHaveLength(8)
        expect(await paged({ workflowId: id })).toEqual(all)
        const waiting = (await broker.listJobs({ state: 'waiting' })).map((j) => j.id)
        expect(waiting).toHaveLength(7)
        expect(await paged({ state: 'waiting' })).toEqual(waiting)
      })

      it('lists jobs newest first with filters, and a job\'s children', async () => {
        const [parent] = await broker.enqueue([job({ task: 'p' })])
        await broker.enqueue([job({ task: 'c', parentId: parent!.id }), job({ task: 'c', parentId: parent!.id, queue: 'z' })])
        expect((await broker.listJobs({ task: 'c' })).map((j) => j.queue)).toEqual(['z', 'q'])
        expect(await broker.listJobs({ state: 'succeeded' })).toEqual([])
        expect((await broker.children(parent!.id)).map((j) => j.parentId)).toEqual([parent!.id, parent!.id])
      })
    })

    describe('rate limits', () => {
      it('grants one start per interval, shared by every connection', async () => {
        const peer = await fx.openPeer()
        try {
          const first = await broker.takeRateTokens('task:x', 60_000, 5)
          expect(first.granted).toBe(1)
          const second = await peer.takeRateTokens('task:x', 60_000, 5)
          expect(second.granted).toBe(0)
          expect(second.nextAt).toBeGreaterThan(Date.now() + 50_000)
          expect((await broker.takeRateTokens('task:other', 60_000, 1)).granted).toBe(1)
        } finally {
          await peer.close()
        }
      })

      it('grants again once the interval has passed', async () => {
        expect((await broker.takeRateTokens('k', 1000, 1)).granted).toBe(1)
        const { granted, nextAt } = await broker.takeRateTokens('k', 1000, 1)
        expect(granted).toBe(0)
        while (Date.now() < nextAt) await broker.waitForChange(nextAt - Date.now())
        expect((await broker.takeRateTokens('k', 1000, 1)).granted).toBe(1)
      })

      it('puts a released job back as scheduled until the given time', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        const runAt = Date.now() + 60_000
        await broker.settle([{ id: c!.id, token: c!.token, kind: 'released', runAt }])
        expect(await broker.getJob(r!.id)).toMatchObject({ state: 'scheduled', attempt: 0, runAt: new Date(runAt).toISOString() })
      })
    })

    describe('schedule slots', () => {
      it('enqueues each slot once however many beats race, and keeps the latest slot', async () => {
        const peer = await fx.openPeer()
        try {
          const slot = Date.UTC(2026, 0, 1, 3)
          const mk = (at: number) => ({ ...job({ task: 'cleanup', runAt: at }), id: `schedule:nightly:${new Date(at).toISOString()}` })
          const results = await Promise.all([broker, peer, broker, peer].map((b) => b.enqueueSlot('nightly', slot, mk(slot))))
          expect(results.filter((r) => r.created)).toHaveLength(1)
          await broker.enqueueSlot('nightly', slot - 86_400_000, mk(slot - 86_400_000))
          await broker.saveSchedules([{ name: 'nightly', task: 'cleanup', expression: '0 3 * * *', tz: 'UTC', nextAt: slot + 86_400_000 }])
          const [rec] = await broker.listSchedules()
          expect(rec).toMatchObject({ name: 'nightly', task: 'cleanup', expression: '0 3 * * *', tz: 'UTC', lastSlotAt: slot, lastJobId: mk(slot).id })
          expect((await broker.listJobs({ task: 'cleanup' })).length).toBe(2)
        } finally {
          await peer.close()
        }
      })

      it('drops schedules no longer saved but keeps their slot history', async () => {
        await broker.enqueueSlot('a', 1000, { ...job(), id: 'schedule:a:1' })
        await broker.saveSchedules([{ name: 'a', task: 't', expression: 'every 5s', tz: 'UTC', nextAt: null }])
        await broker.saveSchedules([])
        expect(await broker.listSchedules()).toEqual([])
        await broker.saveSchedules([{ name: 'a', task: 't', expression: 'every 5s', tz: 'UTC', nextAt: null }])
        expect((await broker.listSchedules())[0]!.lastSlotAt).toBe(1000)
      })
    })

    describe('worker registry', () => {
      it('records heartbeats and removes workers', async () => {
        const info = { id: 'w1', host: 'h', pid: 1, queues: ['q'], concurrency: 4, running: ['j1'], startedAt: 1, lastBeatAt: Date.now() }
        await broker.heartbeat(info)
        await broker.heartbeat({ ...info, running: [], lastBeatAt: info.lastBeatAt + 1 })
        expect(await broker.listWorkers()).toEqual([{ ...info, running: [], lastBeatAt: info.lastBeatAt + 1 }])
        await broker.removeWorker('w1')
        expect(await broker.listWorkers()).toEqual([])
      })

      it("a heartbeat reaps workers silent too long: their running jobs go back, fenced, the attempt not counted", async () => {
        const info = (id: string) => ({ id, host: 'h', pid: 1, queues: ['q'], concurrency: 4, running: [], startedAt: 1, lastBeatAt: Date.now() })
        await broker.enqueue([job(), job(), job({ queue: 'other' })])
        await broker.heartbeat(info('dead'))
        const held = (await broker.claim(claimReq({ workerId: 'dead', limit: 2 }))).jobs
        await broker.heartbeat(info('busy'))
        const kept = (await broker.claim(claimReq({ workerId: 'busy', queues: ['other'] }))).jobs
        expect([held.length, kept.length]).toEqual([2, 1])
        // Recent beats are not reaped.
        expect(await broker.heartbeat(info('live'), 60_000)).toEqual([])
        let reaped: Awaited<ReturnType<Broker['heartbeat']>> = []
        await vi.waitFor(
          async () => {
            await broker.heartbeat(info('busy'))
            reaped = await broker.heartbeat(info('live'), 300)
            expect(reaped).toHaveLength(1)
          },
          { timeout: 20_000, interval: 50 },
        )
        expect(reaped[0]).toMatchObject({ worker: { id: 'dead', host: 'h' }, requeued: 2 })
        expect((await broker.listWorkers()).map((w) => w.id).sort()).toEqual(['busy', 'live'])
        // The dead worker cannot complete what it held (it may only have been paused); the other
        // worker's job is untouched.
        expect(await broker.settle([{ id: held[0]!.id, token: held[0]!.token, kind: 'succeeded', result: '1' }])).toEqual([false])
        expect((await broker.getJob(kept[0]!.id))!.state).toBe('active')
        const again = (await broker.claim(claimReq({ workerId: 'live' }))).jobs
        expect(again.map((j) => j.id).sort()).toEqual(held.map((j) => j.id).sort())
        expect(again.map((j) => j.attempt)).toEqual([1, 1])
        expect(again.map((j) => j.token)).not.toContain(held[0]!.token)
      })
    })

    describe('retention', () => {
      it('prunes old finished jobs and expired results, and counts throughput', async () => {
        const [a, b] = await broker.enqueue([job(), job()])
        const claimed = (await broker.claim(claimReq())).jobs
        await broker.settle(claimed.map((c) => ({ id: c.id, token: c.token, kind: 'succeeded' as const, result: '1', resultExpiresAt: c.id === a!.id ? Date.now() - 1 : undefined })))
        expect((await broker.throughput(60)).q!.reduce((x, y) => x + y, 0)).toBe(2)
        expect(await broker.prune({ finishedBefore: Date.now() - 60_000 })).toBe(0)
        expect((await broker.getJob(a!.id))!.result).toBeNull()
        expect((await broker.getJob(b!.id))!.result).toBe(1)
        expect(await broker.prune({ finishedBefore: Date.now() + 1 })).toBe(2)
        expect(await broker.getJob(b!.id)).toBeNull()
      })
    })

    describe('propagation headers', () => {
      it('keeps the headers a job was enqueued with, through claim and in its JSON; stores none when not given', async () => {
        const headers = JSON.stringify({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
        const [withH, without] = await broker.enqueue([job({ headers }), job()])
        expect((await broker.getJob(withH!.id))!.headers).toEqual(JSON.parse(headers))
        expect((await broker.getJob(without!.id))!).not.toHaveProperty('headers')
        const { jobs } = await broker.claim(claimReq())
        expect(jobs.find((j) => j.id === withH!.id)!.headers).toBe(headers)
        expect(jobs.find((j) => j.id === without!.id)!.headers ?? null).toBeNull()
      })

      it('keeps headers on jobs of a bulk enqueue (only those that have some)', async () => {
        const jobs = Array.from({ length: 60 }, (_, i) => job({ payload: String(i), ...(i % 7 === 0 ? { headers: JSON.stringify({ traceparent: `tp-${i}` }) } : {}) }))
        const res = await broker.enqueue(jobs)
        for (const [i, r] of res.entries()) {
          const j = (await broker.getJob(r.id))!
          if (i % 7 === 0) expect(j.headers).toEqual({ traceparent: `tp-${i}` })
          else expect(j).not.toHaveProperty('headers')
        }
      })

      it("keeps the headers of a schedule slot's job (beat traces its enqueues too), and none when not given", async () => {
        const headers = JSON.stringify({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })
        await broker.enqueueSlot('traced', 1000, { ...job({ headers }), id: 'schedule:traced:1' })
        await broker.enqueueSlot('plain', 1000, { ...job(), id: 'schedule:plain:1' })
        expect((await broker.getJob('schedule:traced:1'))!.headers).toEqual(JSON.parse(headers))
        expect((await broker.getJob('schedule:plain:1'))!).not.toHaveProperty('headers')
      })
    })

    describe('expiry reported by claim', () => {
      it('names the jobs a claim expired instead of handing out', async () => {
        const [late] = await broker.enqueue([job({ task: 'late', expiresAt: Date.now() - 1 })])
        const res = await broker.claim(claimReq())
        expect(res.jobs).toEqual([])
        expect(res.expired).toEqual([{ id: late!.id, task: 'late', queue: 'q' }])
        expect((await broker.getJob(late!.id))!.state).toBe('expired')
      })
    })

    describe('live events', () => {
      const ev = (i: number): TqEvent => ({ type: 'enqueued', at: Date.now(), id: `j${i}`, task: 't', queue: 'q' })

      it('delivers what another connection publishes after the subscription is in place, in order', async () => {
        const peer = await fx.openPeer()
        const ctl = new AbortController()
        const got: TqEvent[] = []
        try {
          await broker.subscribeEvents((events) => got.push(...events), ctl.signal)
          await peer.publishEvents([ev(1), ev(2)])
          await peer.publishEvents([ev(3)])
          await vi.waitFor(() => expect(got.map((e) => e.id)).toEqual(['j1', 'j2', 'j3']), { timeout: 5000 })
          expect(got[0]).toMatchObject({ type: 'enqueued', task: 't', queue: 'q' })
        } finally {
          ctl.abort()
          await peer.close()
        }
      })

      it('delivers to every subscriber, and stops delivering once aborted', async () => {
        const peer = await fx.openPeer()
        const a = new AbortController()
        const b = new AbortController()
        const gotA: TqEvent[] = []
        const gotB: TqEvent[] = []
        try {
          await broker.subscribeEvents((events) => gotA.push(...events), a.signal)
          await peer.subscribeEvents((events) => gotB.push(...events), b.signal)
          await broker.publishEvents([ev(1)])
          await vi.waitFor(() => expect([gotA.length, gotB.length]).toEqual([1, 1]), { timeout: 5000 })
          a.abort()
          await broker.publishEvents([ev(2)])
          await vi.waitFor(() => expect(gotB.map((e) => e.id)).toEqual(['j1', 'j2']), { timeout: 5000 })
          // A's subscription ended before j2 was published; B saw j2, so A would have by now.
          expect(gotA.map((e) => e.id)).toEqual(['j1'])
        } finally {
          a.abort()
          b.abort()
          await peer.close()
        }
      })

      it('publishing with nobody subscribed says so and is not delivered later; with a subscriber it says one may listen', async () => {
        const peer = await fx.openPeer()
        expect(await broker.publishEvents([ev(1)])).toBe(false)
        expect(await broker.publishEvents([])).toBe(false)
        const ctl = new AbortController()
        const got: TqEvent[] = []
        try {
          await peer.subscribeEvents((events) => got.push(...events), ctl.signal)
          expect(await broker.publishEvents([])).toBe(true)
          expect(await broker.publishEvents([ev(2)])).toBe(true)
          await vi.waitFor(() => expect(got.length).toBeGreaterThan(0), { timeout: 5000 })
          expect(got.map((e) => e.id)).toEqual(['j2'])
        } finally {
          ctl.abort()
          await peer.close()
        }
      })
    })

    describe('waiting for a job to end (awaitJobEnd: the broker waitForJob, or reads after changes)', () => {
      it('returns an ended job at once, and null for a job that does not exist', async () => {
        const [r] = await broker.enqueue([job()])
        const [c] = (await broker.claim(claimReq())).jobs
        await broker.settle([{ id: c!.id, token: c!.token, kind: 'succeeded', result: '{"done":1}' }])
        expect(await awaitJobEnd(broker, r!.id, 3_600_000)).toMatchObject({ id: r!.id, state: 'succeeded', result: { done: 1 } })
        expect(await awaitJobEnd(broker, 'no-such-job', 3_600_000)).toBeNull()
      })

      it("hands over the end another connection's worker settles, through retries and each final state", async () => {
        const peer = await fx.openPeer()
        try {
          const [ok, failed, cancelled, released] = await broker.enqueue([job({ payload: '1' }), job({ payload: '2' }), job({ payload: '3' }), job({ payload: '4' })])
          // Waiting before anything happens to them (a wait that reads an ended job returns too).
          const ends = [ok, failed, cancelled, released].map((r) => awaitJobEnd(broker, r!.id, 3_600_000))
          const byPayload = async (limit: number) => new Map((await peer.claim(claimReq({ limit }))).jobs.map((c) => [c.payload, c]))
          const first = await byPayload(4)
          const a = first.get('1')!
          // A failure with a retry is no end: the wait goes on to the second attempt.
          await peer.settle([{ id: a.id, token: a.token, kind: 'failed', error: { message: 'again' }, retryAt: Date.now() - 1 }])
          const b = first.get('2')!
          await peer.settle([{ id: b.id, token: b.token, kind: 'failed', error: { message: 'boom' } }])
          const c = first.get('3')!
          await peer.settle([{ id: c.id, token: c.token, kind: 'cancelled' }])
          const d = first.get('4')!
          // Put back, then cancelled while it waits (cancel ends a job outside settle).
          await peer.settle([{ id: d.id, token: d.token, kind: 'released' }])
          await peer.cancel([d.id])
          const again = (await claimWithin(peer, 1, 5000))[0]!
          await peer.settle([{ id: again.id, token: again.token, kind: 'succeeded', result: '"second"' }])
          const [e1, e2, e3, e4] = await Promise.all(ends)
          expect(e1).toMatchObject({ id: ok!.id, state: 'succeeded', attempt: 2, result: 'second' })
          expect(e2).toMatchObject({ id: failed!.id, state: 'failed', error: { message: 'boom' } })
          expect(e3).toMatchObject({ id: cancelled!.id, state: 'cancelled' })
          expect(e4).toMatchObject({ id: released!.id, state: 'cancelled' })
        } finally {
          await peer.close()
        }
      })

      it('tells a wait on a job that expires in a claim', async () => {
        const [r] = await broker.enqueue([job({ expiresAt: Date.now() - 1 })])
        const end = awaitJobEnd(broker, r!.id, 3_600_000)
        const peer = await fx.openPeer()
        try {
          // The wait may or may not be in place yet: either way it ends with the expiry.
          expect((await peer.claim(claimReq())).jobs).toEqual([])
          expect(await end).toMatchObject({ id: r!.id, state: 'expired' })
        } finally {
          await peer.close()
        }
      })

      it('returns the job not ended once the time runs out', async () => {
        const [r] = await broker.enqueue([job()])
        expect(await awaitJobEnd(broker, r!.id, 30)).toMatchObject({ id: r!.id, state: 'queued' })
      })
    })

    describe('jobs enqueued while workers wait idle', () => {
      it('go to one worker each, in order, within the limit of its claims', async () => {
        const peer = await fx.openPeer()
        try {
          // A claim that finds the queue drained (the worker then waits idle: Redis parks it).
          expect((await broker.claim(claimReq({ workerId: 'w1', limit: 1 }))).jobs).toEqual([])
          await peer.enqueue([job({ payload: '1' }), job({ payload: '2' }), job({ payload: '3' })])
          const mine = await claimWithin(broker, 1, 5000, claimReq({ workerId: 'w1' }))
          const theirs = await claimWithin(peer, 2, 5000, claimReq({ workerId: 'w2' }))
          expect(mine.map((c) => c.payload)).toEqual(['1'])
          expect(theirs.map((c) => c.payload).sort()).toEqual(['2', '3'])
          expect(mine[0]).toMatchObject({ attempt: 1 })
          expect(await broker.settle([...mine, ...theirs].map((c) => ({ id: c.id, token: c.token, kind: 'succeeded' as const, result: '1' })))).toEqual([true, true, true])
        } finally {
          await peer.close()
        }
      })

      it('go back to the queue, the attempt not counted, if handed to a worker that stops claiming', async () => {
        const peer = await fx.openPeer()
        try {
          expect((await broker.claim(claimReq({ workerId: 'w1' }))).jobs).toEqual([])
          const [r] = await peer.enqueue([job()])
          await broker.stopClaiming?.('w1')
          const [c] = await claimWithin(peer, 1, 5000, claimReq({ workerId: 'w2' }))
          expect(c).toMatchObject({ id: r!.id, attempt: 1 })
        } finally {
          await peer.close()
        }
      })
    })

    describe('change notification', () => {
      it('wakes a waiter when another connection enqueues', async () => {
        const peer = await fx.openPeer()
        try {
          const started = Date.now()
          const waiting = broker.waitForChange(5000)
          await peer.enqueue([job()])
          await waiting
          expect(Date.now() - started).toBeLessThan(4000)
          expect((await broker.claim(claimReq())).jobs).toHaveLength(1)
        } finally {
          await peer.close()
        }
      })
    })

    workflowCases(() => ({ broker, openPeer: () => fx.openPeer() }))
  })
}
