import { expect, it } from 'vitest'
import { newJobId } from '../../src/broker/job-id.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const msOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

it('makes UUIDv7-shaped ids that carry their millisecond and sort in creation order', () => {
  const at = Date.parse('2026-11-24T10:00:00.000Z')
  const ids: string[] = []
  // Many per millisecond, across several milliseconds, and a clock that steps back once.
  for (const ms of [at, at, at + 1, at + 7, at + 3, at + 8]) for (let i = 0; i < 20_000; i++) ids.push(newJobId(ms))
  expect(ids.filter((id) => !UUID_V7.test(id))).toEqual([])
  expect(new Set(ids).size).toBe(ids.length)
  expect([...ids].sort()).toEqual(ids)
  expect(msOf(ids[0]!)).toBe(at)
  // The step back did not move time backwards in the ids.
  expect(msOf(ids.at(-1)!)).toBe(at + 8)
})

it('gives every job of a 6000-job batch made in one millisecond its own last 8 characters', () => {
  const at = Date.parse('2026-11-25T10:00:00.000Z')
  const ids = Array.from({ length: 6000 }, () => newJobId(at))
  expect(new Set(ids.map((id) => id.slice(-8))).size).toBe(6000)
  expect([...ids].sort()).toEqual(ids)
  // Consecutive tails differ by a random step, not always by one: a mistyped tail seldom names a neighbour.
  const gaps = new Set(ids.slice(1).map((id, i) => parseInt(id.slice(-8), 16) - parseInt(ids[i]!.slice(-8), 16)))
  expect(gaps.size).toBeGreaterThan(100)
})

it('keeps the tails distinct across milliseconds too, so a long run of one process shows distinct short ids', () => {
  const at = Date.parse('2026-11-26T10:00:00.000Z')
  const ids: string[] = []
  for (let ms = 0; ms < 200; ms++) for (let i = 0; i < 500; i++) ids.push(newJobId(at + ms))
  expect(new Set(ids.map((id) => id.slice(-8))).size).toBe(ids.length)
  expect([...ids].sort()).toEqual(ids)
})
