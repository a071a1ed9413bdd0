// Type tests: run by vitest's typecheck mode (tsc), so a wrong type fails the suite.
import { describe, expectTypeOf, test } from 'vitest'
import { connect, defineTask, task, type Client, type JobHandle, type PayloadOf, type ResultOf } from '../../src/index.js'

const welcome = task('email.welcome', async (p: { to: string; name?: string }) => ({ sent: true, at: new Date(), note: undefined as string | undefined }))
const contract = defineTask<{ url: string }, { bytes: number; fetchedAt: Date }>('page.fetch', { queue: 'fetch' })

declare const tq: Client

describe('payload and result inference', () => {
  test('the payload type comes from the handler', () => {
    expectTypeOf<PayloadOf<typeof welcome>>().toEqualTypeOf<{ to: string; name?: string }>()
  })

  test('result() is typed as what JSON gives back: a Date arrives as a string', async () => {
    const job = await tq.enqueue(welcome, { to: 'a@b.c' })
    const result = await job.result()
    expectTypeOf(result.sent).toEqualTypeOf<boolean>()
    expectTypeOf(result.at).toEqualTypeOf<string>()
    // An undefined-able field may be missing after JSON.
    expectTypeOf(result).toEqualTypeOf<{ sent: boolean; at: string; note?: string }>()
  })

  test('a contract types enqueue without its handler', async () => {
    const job = await tq.enqueue(contract, { url: 'https://x.y' })
    expectTypeOf(job).toEqualTypeOf<JobHandle<ResultOf<typeof contract>>>()
    expectTypeOf<ResultOf<typeof contract>>().toEqualTypeOf<{ bytes: number; fetchedAt: string }>()
  })

  test('a wrong payload is rejected', () => {
    // @ts-expect-error: `to` must be a string
    void tq.enqueue(welcome, { to: 1 })
    // @ts-expect-error: `url` is missing
    void tq.enqueue(contract, {})
    // @ts-expect-error: the default-client form checks the payload too
    void welcome.enqueue({ nope: true })
  })

  test('the implementation must fit the contract', () => {
    contract.implement(async (p) => ({ bytes: p.url.length, fetchedAt: new Date() }))
    // @ts-expect-error: the result lacks `bytes`
    contract.implement(async () => ({ fetchedAt: new Date() }))
  })
})

describe('payloads must be JSON', () => {
  test('a Date, a Map or a function in the payload is a compile error', () => {
    // @ts-expect-error: Date is not JSON
    task('bad.date', async (p: { when: Date }) => p)
    // @ts-expect-error: Map is not JSON
    defineTask<{ m: Map<string, number> }>('bad.map')
    // @ts-expect-error: functions are not JSON
    task('bad.fn', async (p: { f: () => void }) => p)
    // @ts-expect-error: bigint is not JSON
    task('bad.big', async (p: { n: bigint }) => p)
  })

  test('JSON payloads, optional fields, unknown and no payload are accepted', () => {
    task('ok.nested', async (p: { a: { b: number[] }; c?: string | null }) => p)
    task('ok.none', async () => 1)
    task('ok.unknown', async (p: unknown) => p)
    defineTask<string[]>('ok.array')
  })
})

describe('connect', () => {
  test('connect() resolves to a Client', () => {
    expectTypeOf(connect).returns.resolves.toEqualTypeOf<Client>()
  })
})
