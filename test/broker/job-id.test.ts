import { expect, it } from 'vitest'
import { newJobId } from '../../src/broker/job-id.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

it('makes UUIDv7-shaped ids that carry their millisecond and sort in creation order', () => {
  const at = Date.parse('2026-11-24T10:00:00.000Z')
  const ids: string[] = []
  // Many per millisecond, across several milliseconds, and a clock that steps back once.
  for (const ms of [at, at, at + 1, at + 7, at + 3, at + 8]) for (let i = 0; i < 20_000; i++) ids.push(newJobId(ms))
  expect(ids.filter((id) => !UUID_V7.test(id))).toEqual([])
  expect(new Set(ids).size).toBe(ids.length)
  expect([...ids].sort()).toEqual(ids)
  expect(parseInt(ids[0]!.slice(0, 8) + ids[0]!.slice(9, 13), 16)).toBe(at)
  // The step back did not move time backwards in the ids.
  expect(parseInt(ids.at(-1)!.slice(0, 8) + ids.at(-1)!.slice(9, 13), 16)).toBe(at + 8)
})
