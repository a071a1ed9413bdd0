import { describe, expect, it } from 'vitest'
import { packJobs, unpackJobs, type RunJob } from '../../src/worker/protocol.js'

describe('jobs packed for a task thread', () => {
  const jobs: RunJob[] = [
    { id: 'a1', task: 'email.send', payload: '{"to":"x@y.z","s":"\\u0000 escaped"}', attempt: 1, maxAttempts: 3, flag: 0, queue: 'emails', headers: '{"traceparent":"00-x"}' },
    { id: 'b2', task: 'noop', payload: 'null', attempt: 2, maxAttempts: 2, flag: -1, queue: 'default', headers: null },
  ]

  it('travel as one string and come back as they were', () => {
    const packed = packJobs(jobs)
    expect(typeof packed).toBe('string')
    expect(unpackJobs(packed)).toEqual(jobs)
  })

  it('travel as an array when a field holds a raw NUL, and still come back as they were', () => {
    const odd = [...jobs, { id: 'c3', task: 'noop', payload: '"a\u0000b"', attempt: 1, maxAttempts: 1, flag: 4, queue: 'default', headers: null }]
    const packed = packJobs(odd)
    expect(Array.isArray(packed)).toBe(true)
    expect(unpackJobs(packed)).toEqual(odd)
  })

  it('a job without a start flag is sent with -1', () => {
    expect(unpackJobs(packJobs([{ ...jobs[1]!, flag: undefined }]))[0]!.flag).toBe(-1)
  })
})
