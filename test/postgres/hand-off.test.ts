/**
 * The Postgres hand-off (src/broker/postgres/hand-off.ts): an enqueue of one job into a queue a
 * parked worker waits on inserts it already leased to that worker, and its NOTIFY carries it. The
 * job is never lost (a claim returns it should the notification not come; stopClaiming puts back
 * what the worker was not given) and fencing is a claim's (token 1, then raised by a re-claim).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PostgresBroker } from '../../src/broker/postgres/postgres-broker.js'
import { dropSchema, sql, uniqueSchema, urlWith } from './helpers.js'

const schemas: string[] = []
const brokers: PostgresBroker[] = []
async function pair(): Promise<{ worker: PostgresBroker; producer: PostgresBroker; schema: string }> {
  const schema = uniqueSchema()
  schemas.push(schema)
  const url = urlWith({ schema })
  const worker = await PostgresBroker.connect(url)
  const producer = await PostgresBroker.connect(url)
  brokers.push(worker, producer)
  return { worker, producer, schema }
}
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()))
  for (const s of schemas.splice(0)) await dropSchema(s)
})

const job = () => ({ task: 't', queue: 'q', payload: '{"a":1}', priority: 0, runAt: Date.now(), maxAttempts: 3 })
const req = (workerId: string, limit = 4) => ({ workerId, queues: ['q'], limit, leaseMs: 30_000 })

/** Opens the worker's LISTEN connection and parks `workerId` with a claim that finds nothing. */
async function park(broker: PostgresBroker, workerId: string): Promise<void> {
  const ac = new AbortController()
  void broker.waitForChange(60_000, ac.signal)
  await vi.waitFor(() => expect((broker as unknown as { listener: { listening: boolean } }).listener.listening).toBe(true))
  ac.abort()
  expect((await broker.claim(req(workerId))).jobs).toEqual([])
}

async function stateOf(schema: string, id: string): Promise<{ state: string; token: number; worker_id: string | null }> {
  return (await sql<{ state: string; token: number; worker_id: string | null }>(`SELECT state, token::float8 AS token, worker_id FROM ${schema}.jobs WHERE id = $1`, [id]))[0]!
}

describe('hand-off to a parked worker', () => {
  it('an enqueue hands the job over leased (token 1); the notification wakes the worker and its claim returns it with no statement', async () => {
    const { worker, producer, schema } = await pair()
    await park(worker, 'w1')
    const woke = worker.waitForChange(60_000)
    const [{ id }] = await producer.enqueue([job()])
    expect(await stateOf(schema, id)).toEqual({ state: 'active', token: 1, worker_id: 'w1' })
    await woke
    const { jobs } = await worker.claim(req('w1'))
    expect(jobs.map((j) => [j.id, j.token, j.attempt, j.payload])).toEqual([[id, 1, 1, '{"a":1}']])
    expect(await worker.settle([{ id, token: 1, kind: 'succeeded', result: '1' }])).toEqual([true])
    // Given once: the next claim from the database does not return it again.
    expect((await worker.claim(req('w1'))).jobs).toEqual([])
  })

  it('a worker whose notification never came gets the job from its next claim', async () => {
    const { worker, producer, schema } = await pair()
    await park(worker, 'w2')
    const [{ id }] = await producer.enqueue([job()])
    // Another process claiming as w2 (no LISTEN there): the database's inbox returns the job.
    const other = await PostgresBroker.connect(urlWith({ schema }))
    brokers.push(other)
    expect((await other.claim(req('w2'))).jobs.map((j) => [j.id, j.token])).toEqual([[id, 1]])
  })

  it('no hand-off while older ready jobs wait, nor beyond the slots the worker parked with', async () => {
    const { worker, producer, schema } = await pair()
    await park(worker, 'w3')
    const [a] = await producer.enqueue([job()])
    const [b] = await producer.enqueue([job()])
    expect((await stateOf(schema, a!.id)).state).toBe('active')
    expect((await stateOf(schema, b!.id)).state).toBe('active')
    await producer.pause('q')
    const [c] = await producer.enqueue([job()])
    expect((await stateOf(schema, c!.id)).state).toBe('queued')
    await producer.resume('q')
    const [d] = await producer.enqueue([job()])
    expect((await stateOf(schema, d!.id)).state).toBe('queued') // c is before it
    const [{ n }] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.handed`)
    expect(n).toBe(2)
  })

  it('stopClaiming puts back the jobs handed and not given, fenced: the old token cannot complete them', async () => {
    const { worker, producer, schema } = await pair()
    await park(worker, 'w4')
    const [{ id }] = await producer.enqueue([job()])
    await worker.stopClaiming('w4')
    expect((await stateOf(schema, id)).state).toBe('queued')
    const { jobs } = await producer.claim(req('w5'))
    expect(jobs.map((j) => [j.id, j.attempt])).toEqual([[id, 1]])
    expect(jobs[0]!.token).toBeGreaterThan(1)
    expect(await worker.settle([{ id, token: 1, kind: 'succeeded', result: '1' }])).toEqual([false])
    // Unparked: the next job is queued for a claim.
    const [{ id: next }] = await producer.enqueue([job()])
    expect((await stateOf(schema, next)).state).toBe('queued')
  })
})
