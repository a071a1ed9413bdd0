import { expect, it } from 'vitest'
import { newJobId } from '../../src/broker/job-id.js'
import { shortId, shortIds } from '../../src/format/short-id.js'

it('shows one id by its last 8 characters, a slot by its time, a short id whole', () => {
  expect(shortId('019ab5c0-1e00-7a1b-8c2d-3e4f5a6b7c8d')).toBe('5a6b7c8d')
  expect(shortId('schedule:nightly:2026-03-02T02:00:00.000Z')).toBe('@02:00:00')
  expect(shortId('my-key')).toBe('my-key')
})

it('gives the jobs of one batch distinct short ids of 8 characters', () => {
  const ids = Array.from({ length: 6000 }, () => newJobId(Date.parse('2026-11-24T10:00:00.000Z')))
  const shown = shortIds(ids)
  expect(new Set(shown.values()).size).toBe(6000)
  expect([...shown.values()].every((s) => s.length === 8)).toBe(true)
  expect(shown.get(ids[0]!)).toBe(ids[0]!.slice(-8))
})

it('lengthens only the ids whose tails collide, as far as it takes, never starting at a dash', () => {
  const a = '019ab5c0-1e00-7a1b-8c2d-aaaa5a6b7c8d'
  const b = '019ab5c0-1e00-7a1b-8c2d-bbbb5a6b7c8d'
  const c = '019ab5c0-1e00-7a1b-8c2d-3e4f00000001'
  const d = '019ab5c0-1e00-7a1b-9c2d-aaaa5a6b7c8d'
  expect(Object.fromEntries(shortIds([a, b, c]))).toEqual({ [a]: 'a5a6b7c8d', [b]: 'b5a6b7c8d', [c]: '00000001' })
  // The last 12 characters agree: the next one to the left of the dash decides.
  expect(Object.fromEntries(shortIds([a, d, c]))).toEqual({ [a]: '8c2d-aaaa5a6b7c8d', [d]: '9c2d-aaaa5a6b7c8d', [c]: '00000001' })
  // The same id twice is one job.
  expect(Object.fromEntries(shortIds([c, c]))).toEqual({ [c]: '00000001' })
})

it('shows slots of different schedules at the same time by their whole id', () => {
  const x = 'schedule:a:2026-03-02T02:00:00.000Z'
  const y = 'schedule:b:2026-03-02T02:00:00.000Z'
  const z = 'schedule:a:2026-03-02T03:00:00.000Z'
  expect(Object.fromEntries(shortIds([x, y, z]))).toEqual({ [x]: x, [y]: y, [z]: '@03:00:00' })
})
