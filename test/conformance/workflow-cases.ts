/**
 * Workflows (chain, group, chord) in the Broker conformance suite: run unchanged against every
 * broker from broker-conformance.ts. The graph is laid out by the client's own code
 * (layOutWorkflow); these cases play the worker by hand (claim, settle), so each rule of
 * src/broker/workflow.ts is checked on the broker alone: payloads built from results in order,
 * the once-only body, failure and cancel propagation, nesting, resuming on retry.
 */
import { describe, expect, it } from 'vitest'
import { chain, chord, group, type Canvas } from '../../src/app/canvas.js'
import { defineTask } from '../../src/app/task.js'
import { layOutWorkflow } from '../../src/app/workflow-layout.js'
import { canvasNode } from '../../src/app/canvas.js'
import type { Broker, ClaimedJob, JobJSON } from '../../src/broker/types.js'

const t = defineTask<any, any>('t')
const u = defineTask<any, any>('u')

/** Enqueues a workflow as the client does; returns its id and its steps' ids in layout order. */
async function enqueueWorkflow(broker: Broker, w: Canvas<any, any>): Promise<{ id: string; steps: string[] }> {
  const { id, jobs } = layOutWorkflow(canvasNode(w), Date.now())
  const r = await broker.enqueue(jobs)
  expect(r.every((x) => x.created)).toBe(true)
  return { id, steps: jobs.slice(0, -1).map((j) => j.id!) }
}

const claimAll = async (broker: Broker, limit = 1000): Promise<ClaimedJob[]> =>
  (await broker.claim({ workerId: 'w1', queues: ['default'], limit, leaseMs: 30_000 })).jobs

const succeed = (broker: Broker, j: ClaimedJob, result: unknown) =>
  broker.settle([{ id: j.id, token: j.token, kind: 'succeeded', result: JSON.stringify(result) }])

const fail = (broker: Broker, j: ClaimedJob, message = 'boom') =>
  broker.settle([{ id: j.id, token: j.token, kind: 'failed', error: { message, name: 'Error' } }])

const state = async (broker: Broker, id: string): Promise<JobJSON> => (await broker.getJob(id))!

/** Runs every ready job with `fn(payload, job)` until none is ready; returns how many ran. */
async function drain(broker: Broker, fn: (payload: any, job: ClaimedJob) => unknown): Promise<number> {
  let ran = 0
  for (;;) {
    const jobs = await claimAll(broker)
    if (jobs.length === 0) return ran
    const outcomes = jobs.map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' as const, result: JSON.stringify(fn(JSON.parse(j.payload), j)) }))
    expect(await broker.settle(outcomes)).toEqual(outcomes.map(() => true))
    ran += jobs.length
  }
}

export function workflowCases(current: () => { broker: Broker; openPeer: () => Promise<Broker> }): void {
  describe('workflows', () => {
    it('a chain starts with its first link; each link gets the previous result; the workflow ends with the last', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({ n: 1 }), u.s(), u.s()))
      expect((await state(broker, w.steps[1]!)).state).toBe('waiting')
      expect((await state(broker, w.id)).state).toBe('waiting')
      const first = await claimAll(broker)
      expect(first.map((j) => j.id)).toEqual([w.steps[0]])
      expect(first[0]!.workflowId).toBe(w.id)
      await succeed(broker, first[0]!, { n: 2 })
      const second = await claimAll(broker)
      expect(second.map((j) => [j.id, JSON.parse(j.payload)])).toEqual([[w.steps[1], { n: 2 }]])
      await succeed(broker, second[0]!, { n: 3 })
      const third = await claimAll(broker)
      expect(JSON.parse(third[0]!.payload)).toEqual({ n: 3 })
      await succeed(broker, third[0]!, 'done')
      const wf = await state(broker, w.id)
      expect(wf).toMatchObject({ state: 'succeeded', result: 'done', workflowId: w.id, dependsOn: [w.steps[2]] })
      const steps = await broker.listJobs({ workflowId: w.id })
      expect(steps.map((j) => j.id).sort()).toEqual([...w.steps, w.id].sort())
      expect(steps.every((j) => j.workflowId === w.id)).toBe(true)
    })

    it('a group runs its members side by side; its result is theirs in order, whatever order they end in', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, group([t.s({ i: 0 }), t.s({ i: 1 }), t.s({ i: 2 })]))
      const jobs = await claimAll(broker)
      expect(jobs).toHaveLength(3)
      for (const j of [...jobs].reverse()) await succeed(broker, j, JSON.parse(j.payload).i * 10)
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: [0, 10, 20] })
    })

    it('a chord body is queued once, by whichever connection settles the last header job, with the results in order', async () => {
      const { broker, openPeer } = current()
      const peer = await openPeer()
      try {
        const header = Array.from({ length: 20 }, (_, i) => t.s({ i }))
        const w = await enqueueWorkflow(broker, chord(header, u.s()))
        const jobs = await claimAll(broker)
        expect(jobs).toHaveLength(20)
        // Interleaved from two connections, in a shuffled order, some in one batch.
        const order = jobs.map((j, k) => ({ j, k: (k * 7) % 20 })).sort((a, b) => a.k - b.k).map((x) => x.j)
        await Promise.all([
          (async () => {
            for (const j of order.filter((_, k) => k % 2 === 0)) await succeed(broker, j, JSON.parse(j.payload).i)
          })(),
          peer.settle(order.filter((_, k) => k % 2 === 1).map((j) => ({ id: j.id, token: j.token, kind: 'succeeded' as const, result: String(JSON.parse(j.payload).i) }))),
        ])
        const body = await claimAll(broker)
        expect(body).toHaveLength(1)
        expect(JSON.parse(body[0]!.payload)).toEqual(Array.from({ length: 20 }, (_, i) => i))
        await succeed(broker, body[0]!, 190)
        expect(await claimAll(broker)).toHaveLength(0)
        expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: 190 })
      } finally {
        await peer.close()
      }
    })

    it('a chord of 2,000 header jobs hands its body 2,000 results in order', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chord(Array.from({ length: 2000 }, (_, i) => t.s({ i })), u.s()))
      let bodyPayload: number[] | null = null
      await drain(broker, (p, j) => {
        if (j.task === 'u') return (bodyPayload = p).length
        return p.i
      })
      expect(bodyPayload).toEqual(Array.from({ length: 2000 }, (_, i) => i))
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: 2000 })
    })

    it('nesting: a group in a chain passes its array on; a group of chains gives their last results', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({ n: 1 }), group([t.s(), chain(t.s(), u.s()), group([t.s(), t.s()])]), u.s()))
      const seen: unknown[] = []
      await drain(broker, (p, j) => {
        if (j.task === 'u') seen.push(p)
        return j.task === 'u' ? { got: p } : { n: (p?.n ?? 0) + 1 }
      })
      // The inner chain's u gets its t's result; the last u gets the group's nested results in order.
      // 1 → 2 → each member's t gives 3.
      expect(seen[0]).toEqual({ n: 3 })
      expect(seen[1]).toEqual([{ n: 3 }, { got: { n: 3 } }, [{ n: 3 }, { n: 3 }]])
      expect((await state(broker, w.id)).state).toBe('succeeded')
    })

    it('a chord inside a chain: the body gets the header results, the next link the body result', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({ n: 1 }), chord([t.s(), t.s()], u.s()), t.s()))
      await drain(broker, (p, j) => (j.task === 'u' ? { n: (p as { n: number }[]).reduce((a, x) => a + x.n, 0) } : { n: p.n + 1 }))
      // t: 1 → 2; each header t: 3; the body sums them: 6; the last link: 7.
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: { n: 7 } })
    })

    it('a failing link stops the chain: later links end cancelled naming it, the workflow fails', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({ n: 1 }), u.s(), u.s()))
      const [a] = await claimAll(broker)
      await fail(broker, a!, 'disk on fire')
      for (const id of w.steps.slice(1)) {
        const j = await state(broker, id)
        expect(j.state).toBe('cancelled')
        expect(j.error?.name).toBe('DependencyFailed')
      }
      expect((await state(broker, w.steps[1]!)).error?.message).toContain(`${w.steps[0]} (t) failed: disk on fire`)
      const wf = await state(broker, w.id)
      expect(wf.state).toBe('failed')
      expect(await claimAll(broker)).toHaveLength(0)
    })

    it('a failing header: the body never runs and fails naming every failed header job', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chord([t.s({ i: 0 }), t.s({ i: 1 }), t.s({ i: 2 })], u.s()))
      const jobs = await claimAll(broker)
      await fail(broker, jobs[0]!, 'first bad')
      await succeed(broker, jobs[1]!, 1)
      // The body waits until every header job has ended.
      expect((await state(broker, w.steps[3]!)).state).toBe('waiting')
      await fail(broker, jobs[2]!, 'third bad')
      const body = await state(broker, w.steps[3]!)
      expect(body.state).toBe('failed')
      expect(body.error?.name).toBe('DependencyFailed')
      expect(body.error?.message).toContain(`${jobs[0]!.id} (t) failed: first bad`)
      expect(body.error?.message).toContain(`${jobs[2]!.id} (t) failed: third bad`)
      expect(body.error?.message).not.toContain(jobs[1]!.id)
      expect(await claimAll(broker)).toHaveLength(0)
      expect((await state(broker, w.id)).state).toBe('failed')
    })

    it('a chord run anyway: the body gets each header outcome, value or error', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chord([t.s({ i: 0 }), t.s({ i: 1 })], u.s(), { runAnyway: true }))
      const jobs = await claimAll(broker)
      await succeed(broker, jobs.find((j) => JSON.parse(j.payload).i === 0)!, 'zero')
      const bad = jobs.find((j) => JSON.parse(j.payload).i === 1)!
      await fail(broker, bad, 'nope')
      const [body] = await claimAll(broker)
      expect(JSON.parse(body!.payload)).toEqual([
        { ok: true, value: 'zero' },
        { ok: false, id: bad.id, state: 'failed', error: expect.objectContaining({ message: 'nope' }) },
      ])
      await succeed(broker, body!, 'summary')
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: 'summary' })
    })

    it('a group fails when all members have ended and one failed; its result says which', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, group([t.s({ i: 0 }), t.s({ i: 1 })]))
      const jobs = await claimAll(broker)
      const bad = jobs.find((j) => JSON.parse(j.payload).i === 1)!
      await fail(broker, bad)
      expect((await state(broker, w.id)).state).toBe('waiting')
      await succeed(broker, jobs.find((j) => j !== bad)!, 'ok')
      const wf = await state(broker, w.id)
      expect(wf.state).toBe('failed')
      expect(wf.error?.message).toContain(bad.id)
      expect(wf.result).toEqual([{ ok: true, value: 'ok' }, expect.objectContaining({ ok: false, id: bad.id, state: 'failed' })])
    })

    it('cancel of a workflow cancels every step not ended and flags the running ones', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(group([t.s({ i: 0 }), t.s({ i: 1 })]), u.s(), u.s()))
      const running = await claimAll(broker, 1)
      const r = await broker.cancel([w.id])
      expect(r.aborting).toEqual([running[0]!.id])
      expect(r.cancelled.sort()).toEqual([...w.steps.filter((id) => id !== running[0]!.id), w.id].sort())
      expect((await broker.renew([{ id: running[0]!.id, token: running[0]!.token }], 30_000)).cancelRequested).toEqual([running[0]!.id])
      await broker.settle([{ id: running[0]!.id, token: running[0]!.token, kind: 'cancelled' }])
      const steps = await broker.listJobs({ workflowId: w.id })
      expect(steps.every((j) => j.state === 'cancelled')).toBe(true)
      expect(await claimAll(broker)).toHaveLength(0)
    })

    it('cancel of a waiting step ends the steps after it', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({}), u.s(), u.s()))
      expect((await broker.cancel([w.steps[1]!])).cancelled).toEqual([w.steps[1]])
      expect((await state(broker, w.steps[2]!)).state).toBe('cancelled')
      expect((await state(broker, w.id)).state).toBe('failed')
      // The first link still runs: cancelling a later step does not touch it.
      expect(await claimAll(broker)).toHaveLength(1)
    })

    it('retrying the failed step resumes the workflow from there', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({ n: 1 }), u.s()))
      const [a] = await claimAll(broker)
      await fail(broker, a!)
      expect((await state(broker, w.id)).state).toBe('failed')
      // Steps that never ran are not retried themselves, and not listed as failed jobs to retry.
      expect(await broker.retry([w.steps[1]!])).toEqual([])
      expect(await broker.failedIds()).toEqual([a!.id])
      expect(await broker.retry([a!.id])).toEqual([a!.id])
      expect((await state(broker, w.steps[1]!)).state).toBe('waiting')
      expect((await state(broker, w.id)).state).toBe('waiting')
      const [again] = await claimAll(broker)
      await succeed(broker, again!, { n: 2 })
      const [b] = await claimAll(broker)
      expect(JSON.parse(b!.payload)).toEqual({ n: 2 })
      await succeed(broker, b!, 'fine')
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: 'fine' })
    })

    it('retrying a failed header while the body still waits: the body waits for it again', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chord([t.s({ i: 0 }), t.s({ i: 1 })], u.s()))
      const jobs = await claimAll(broker)
      const [first, second] = [jobs.find((j) => JSON.parse(j.payload).i === 0)!, jobs.find((j) => JSON.parse(j.payload).i === 1)!]
      await fail(broker, first)
      expect(await broker.retry([first.id])).toEqual([first.id])
      const [again] = await claimAll(broker)
      await succeed(broker, again!, 0)
      // The other header is still running: the body must not start yet.
      expect((await state(broker, w.steps[2]!)).state).toBe('waiting')
      await succeed(broker, second, 1)
      const [body] = await claimAll(broker)
      expect(JSON.parse(body!.payload)).toEqual([0, 1])
    })

    it('retrying a step two levels up: a step waiting for one brought back waits for it again', async () => {
      const { broker } = current()
      // The body waits for the chain's second link (ended because the first failed) and for t{i:1}.
      const w = await enqueueWorkflow(broker, chord([chain(t.s({ i: 0 }), u.s()), t.s({ i: 1 })], u.s()))
      const body = (await state(broker, w.id)).dependsOn![0]!
      const jobs = await claimAll(broker)
      const [first, other] = [jobs.find((j) => JSON.parse(j.payload).i === 0)!, jobs.find((j) => JSON.parse(j.payload).i === 1)!]
      await fail(broker, first)
      expect(await broker.retry([first.id])).toEqual([first.id])
      await succeed(broker, other, 'other')
      // The link after the retried step has not run: the body must still wait.
      expect((await state(broker, body)).state).toBe('waiting')
      const ran = await drain(broker, (p, j) => (j.task === 'u' && Array.isArray(p) ? p : j.task === 'u' ? `${p}!` : 'first'))
      expect(ran).toBe(3)
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: ['first!', 'other'] })
    })

    it('purging a step that has not run ends the steps waiting for it by their rules', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({}), u.s()))
      expect(await broker.purge({ state: 'queued' })).toBe(1)
      // A chain's next link ends cancelled, naming the step that did not succeed.
      const after = await state(broker, w.steps[1]!)
      expect(after.state).toBe('cancelled')
      expect(after.error).toMatchObject({ name: 'DependencyFailed', message: expect.stringContaining('expired') })
      expect((await state(broker, w.id)).state).toBe('failed')
      // Run anyway: the body runs once the header left is done, with the purged one as expired.
      const r = await enqueueWorkflow(broker, chord([t.s({ i: 0 }), t.s({ i: 1 })], u.s(), { runAnyway: true }))
      const [kept] = (await broker.claim({ workerId: 'w1', queues: ['default'], limit: 1, leaseMs: 30_000 })).jobs
      const purged = r.steps.find((id) => id !== kept!.id && id !== r.steps[2])!
      expect(await broker.purge({ state: 'queued' })).toBe(1)
      await succeed(broker, kept!, 'kept')
      const [bodyJob] = await claimAll(broker)
      const outcomes = JSON.parse(bodyJob!.payload) as unknown[]
      expect(outcomes).toContainEqual({ ok: true, value: 'kept' })
      expect(outcomes).toContainEqual({ ok: false, id: purged, state: 'expired', error: null })
    })

    it('retrying a workflow by its id retries its failed steps', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chord([t.s({ i: 0 }), t.s({ i: 1 })], u.s()))
      for (const j of await claimAll(broker)) await fail(broker, j)
      expect((await state(broker, w.steps[2]!)).state).toBe('failed')
      expect((await broker.retry([w.id])).sort()).toEqual(w.steps.slice(0, 2).sort())
      expect((await state(broker, w.steps[2]!)).state).toBe('waiting')
      const ran = await drain(broker, (p, j) => (j.task === 'u' ? p : p.i))
      expect(ran).toBe(3)
      expect(await state(broker, w.id)).toMatchObject({ state: 'succeeded', result: [0, 1] })
    })

    it('a stale lease cannot end a step: the steps after it stay waiting', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({}), u.s()))
      const [a] = await claimAll(broker)
      expect(await broker.settle([{ id: a!.id, token: a!.token + 1, kind: 'succeeded', result: '1' }])).toEqual([false])
      expect((await state(broker, w.steps[1]!)).state).toBe('waiting')
    })

    it('retention keeps the finished steps of a running workflow, and prunes them once it has ended', async () => {
      const { broker } = current()
      const w = await enqueueWorkflow(broker, chain(t.s({}), u.s()))
      const [a] = await claimAll(broker)
      await succeed(broker, a!, 'kept')
      await broker.prune({ finishedBefore: Date.now() + 60_000, failedBefore: Date.now() + 60_000 })
      expect((await state(broker, w.steps[0]!)).result).toBe('kept')
      const [b] = await claimAll(broker)
      expect(JSON.parse(b!.payload)).toBe('kept')
      await succeed(broker, b!, 'done')
      expect(await broker.prune({ finishedBefore: Date.now() + 60_000, failedBefore: Date.now() + 60_000 })).toBe(3)
      expect(await broker.getJob(w.id)).toBeNull()
    })

    // Seeds 3, 5 and 12 found a retry that let a step end by a dependency about to run again.
    it.each([7, 3, 5, 12])('random workflows with random failures, cancels, retries and purges: steps start and end only when allowed, and every workflow ends (seed %i)', async (first) => {
      const { broker } = current()
      let seed = first
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
      const sig = () => (rand() < 0.5 ? t : u).s({})
      const shape = (depth: number): Canvas<any, any> => {
        const k = depth > 2 ? 0 : rand()
        if (k < 0.35) return sig()
        if (k < 0.6) return chain(shape(depth + 1), shape(depth + 1), sig())
        if (k < 0.8) return group([shape(depth + 1), shape(depth + 1), sig()])
        return chord([shape(depth + 1), sig()], sig(), { runAnyway: rand() < 0.4 } as { runAnyway: true })
      }
      const steps = new Map<string, { dependsOn: string[]; onDepFailure: string }>()
      const joins: string[] = []
      for (let i = 0; i < 15; i++) {
        const { id, jobs } = layOutWorkflow(canvasNode(shape(0)), Date.now())
        await broker.enqueue(jobs)
        for (const j of jobs) steps.set(j.id!, j.step!)
        joins.push(id)
      }
      const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired'])
      // A purged step counts as expired for the steps after it.
      const stateOrPurged = async (id: string) => (await broker.getJob(id))?.state ?? 'expired'
      for (let round = 0; round < 2000; round++) {
        const claimed = await claimAll(broker, 1 + Math.floor(rand() * 6))
        if (claimed.length === 0) {
          // Nothing ready: retry a failed step now and then, else done.
          const failed = (await broker.failedIds()).filter((id) => steps.has(id))
          if (failed.length === 0 || rand() < 0.5) break
          await broker.retry([failed[Math.floor(rand() * failed.length)]!])
          continue
        }
        for (const j of claimed) {
          // A step starts only once every job it waits for has ended, and with a failed one only if it runs anyway.
          const deps = await Promise.all(steps.get(j.id)!.dependsOn.map((d) => stateOrPurged(d)))
          expect(deps.every((d) => FINAL.has(d)), `${j.id} started before its dependencies ended`).toBe(true)
          if (deps.some((d) => d !== 'succeeded')) expect(steps.get(j.id)!.onDepFailure).toBe('run')
        }
        await broker.settle(
          claimed.map((j) => {
            const k = rand()
            if (k < 0.75) return { id: j.id, token: j.token, kind: 'succeeded' as const, result: '1' }
            if (k < 0.92) return { id: j.id, token: j.token, kind: 'failed' as const, error: { message: 'random' } }
            return { id: j.id, token: j.token, kind: 'cancelled' as const }
          }),
        )
        if (rand() < 0.05) await broker.cancel([joins[Math.floor(rand() * joins.length)]!])
        if (rand() < 0.01) await broker.purge({ state: 'queued' })
      }
      // Every workflow has ended, and so has every one of its steps.
      for (const id of joins) {
        expect(FINAL.has((await state(broker, id)).state)).toBe(true)
        for (const step of await broker.listJobs({ workflowId: id, limit: 1000 })) {
          expect(FINAL.has(step.state), `${step.id} is ${step.state}`).toBe(true)
          // A step that never ran because of a dependency has one that did not succeed, even after retries.
          if (step.error?.name === 'DependencyFailed' && step.task !== 'tq.workflow') {
            const deps = await Promise.all(steps.get(step.id)!.dependsOn.map((d) => stateOrPurged(d)))
            expect(deps.some((d) => d !== 'succeeded'), `${step.id} ended by a dependency, yet all succeeded`).toBe(true)
          }
        }
      }
    })

    it('counts and listings know the waiting state', async () => {
      const { broker } = current()
      await enqueueWorkflow(broker, chain(t.s({}), u.s(), u.s()))
      const counts = (await broker.counts()).find((c) => c.queue === 'default')!
      // Two links and the workflow's own job wait; the first link is queued.
      expect(counts.counts.waiting).toBe(3)
      expect(counts.counts.queued).toBe(1)
      expect((await broker.listJobs({ state: 'waiting' })).length).toBe(3)
    })
  })
}
