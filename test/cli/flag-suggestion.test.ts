import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, makeTempDir, runTq, stderrLines } from '../helpers/tq.js'

afterAll(cleanupTemp)

describe('an unknown flag names the closest one', () => {
  it.each([
    ['worker', '--queue', '--queues'],
    ['worker', '--concurency', '--concurrency'],
    ['dev', '--queue', '--queues'],
    ['enqueue', '--dealy', '--delay'],
  ])('tq %s %s: did you mean %s', async (command, typed, meant) => {
    const args = command === 'enqueue' ? [command, 'a.task', typed, '1s'] : [command, typed, 'x']
    const r = await runTq(args, { cwd: makeTempDir() })
    expect(r.code).toBe(2)
    expect(stderrLines(r)).toEqual([`Error: Nonexistent flag: ${typed} (did you mean ${meant}? see tq ${command} --help)`])
  })

  it('suggests nothing when no flag is close', async () => {
    const r = await runTq(['worker', '--xyzzy'], { cwd: makeTempDir() })
    expect(r.code).toBe(2)
    expect(stderrLines(r)).toEqual(['Error: Nonexistent flag: --xyzzy (see tq worker --help)'])
  })
})
