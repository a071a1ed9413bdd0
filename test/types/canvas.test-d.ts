import { expectTypeOf, test } from 'vitest'
import { chain, chord, connect, defineTask, group, type Outcome } from '../../src/index.js'

const fetchPage = defineTask<{ url: string }, { html: string }>('fetch')
const parse = defineTask<{ html: string }, { words: number }>('parse')
const store = defineTask<{ words: number }, { saved: boolean; at: Date }>('store')
const count = defineTask<{ n: number }, number>('count')
const total = defineTask<number[], number>('total')
const summarise = defineTask<Outcome<number>[], string>('summarise')

test('a chain is typed by its last link, with the result after JSON', async () => {
  const tq = await connect({ broker: 'sqlite://:memory:' })
  const c = await tq.enqueue(chain(fetchPage.s({ url: 'x' }), parse.s(), store.s()))
  expectTypeOf(c.result()).resolves.toEqualTypeOf<{ saved: boolean; at: string }>()
})

test('a link that cannot take the previous result is a compile error', () => {
  // @ts-expect-error parse takes { html }, not fetchPage's input of a number result
  chain(count.s({ n: 1 }), parse.s())
  // @ts-expect-error store takes { words }, fetchPage gives { html }
  chain(fetchPage.s({ url: 'x' }), store.s())
  // a signature with its own payload takes anything
  chain(count.s({ n: 1 }), parse.s({ html: '' }))
})

test('group results are in order; a chord body takes them', async () => {
  const tq = await connect({ broker: 'sqlite://:memory:' })
  const g = await tq.enqueue(group([count.s({ n: 1 }), parse.s({ html: '' })]))
  expectTypeOf(g.result()).resolves.toEqualTypeOf<[number, { words: number }]>()
  const d = await tq.enqueue(chord([count.s({ n: 1 }), count.s({ n: 2 })], total.s()))
  expectTypeOf(d.result()).resolves.toEqualTypeOf<number>()
  // @ts-expect-error total takes number[], the header gives { html }
  chord([fetchPage.s({ url: 'x' })], total.s())
  // run anyway: the body takes outcomes
  chord([count.s({ n: 1 })], summarise.s(), { runAnyway: true })
})

test('nesting: a group in a chain passes its array on', () => {
  chain(count.s({ n: 1 }), group([count.s({ n: 2 }), count.s({ n: 3 })]), total.s())
  // @ts-expect-error parse cannot take the group's number[]
  chain(group([count.s({ n: 2 })]), parse.s())
})

test('a first step that needs the previous result has none: a compile error at enqueue', async () => {
  const tq = await connect({ broker: 'sqlite://:memory:' })
  // @ts-expect-error parse.s() has no payload and nothing before it
  await tq.enqueue(chain(parse.s(), store.s()))
})
