// Enqueue by name, typed through the TaskRegistry interface users extend (as graphile-worker's).
import { describe, expectTypeOf, test } from 'vitest'
import { defineTask, type Client } from '../../src/index.js'

const resize = defineTask<{ w: number }, { path: string; at: Date }>('image.resize')

declare module '../../src/index.js' {
  interface TaskRegistry {
    'image.resize': typeof resize
  }
}

declare const tq: Client

describe('a declared registry', () => {
  test('types the payload and the result of an enqueue by name', async () => {
    const job = await tq.enqueue('image.resize', { w: 100 })
    expectTypeOf(await job.result()).toEqualTypeOf<{ path: string; at: string }>()
  })

  test('refuses a wrong payload and an undeclared name', () => {
    // @ts-expect-error: w must be a number
    void tq.enqueue('image.resize', { w: 'big' })
    // @ts-expect-error: not declared in TaskRegistry
    void tq.enqueue('image.rotate', { deg: 90 })
  })
})
