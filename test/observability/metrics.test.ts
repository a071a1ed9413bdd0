/**
 * `tq worker --metrics`: after a known run (successes, failures, a retry), /metrics parses as
 * Prometheus text and its counts equal what ran, on SQLite and on Redis. Bad addresses are refused
 * before anything is written.
 */
import { existsSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/app/client.js'
import { cleanupTemp, killAll, LOADED_TEST_MS, runTq, startTq, startWorker, stderrLines, ERROR_LINE, waitUntil, enqueueJob } from '../helpers/tq.js'
import { brokerCases } from './brokers.js'
import { obsProject } from './fixture.js'
import { parsePrometheus, sum } from './prometheus-text.js'

describe.each(brokerCases())('tq worker --metrics on $name', (bc) => {
  afterAll(cleanupTemp)
  afterEach(async () => {
    await killAll()
    await bc.cleanup()
  })

  it(
    'serves counts equal to the jobs run: successes, failures, retries, by task and outcome; depth by state; slots',
    async () => {
      const project = obsProject(`{ broker: '${bc.url()}' }`)
      const client = await connect({ config: project.path('tq.config.ts') })
      const ids = [
        ...(await client.enqueueMany('obs.ok', [{ n: 1 }, { n: 2 }, { n: 3 }])).map((h) => h.id),
        ...(await client.enqueueMany('obs.boom', [{}, {}])).map((h) => h.id),
        // Through the CLI, which knows the task's options (retries: 1); a bare client enqueues by name with none.
        await enqueueJob(project.dir, 'obs.flaky', {}),
      ]
      const worker = await startWorker(project.dir, ['--metrics', '127.0.0.1:0', '--concurrency', '4'], LOADED_TEST_MS)
      await worker.waitForOutput(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, 20_000, 'stderr')
      const url = /metrics on (http:\/\/\S+)/.exec(worker.stderr)![1]!
      await waitUntil(async () => {
        const states = await Promise.all(ids.map(async (id) => (await client.job(id).get())!.state))
        return states.every((s) => s === 'succeeded' || s === 'failed')
      }, 'every job finished', LOADED_TEST_MS)
      let last: unknown
      // Counts are kept as the engine reports settled outcomes: read until the last one is in.
      const samples = await waitUntil(async () => {
        const res = await fetch(url)
        expect(res.status).toBe(200)
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
        const s = parsePrometheus(await res.text())
        last = s.filter((x) => x.name === 'tq_jobs_total')
        return sum(s, 'tq_jobs_total') === 7 ? s : false
      }, 'metrics of 7 attempts', 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify(last)}\n${worker.stdout}`)
      })
      await client.close()

      expect(sum(samples, 'tq_jobs_total', { task: 'obs.ok', outcome: 'succeeded', queue: 'default' })).toBe(3)
      expect(sum(samples, 'tq_jobs_total', { task: 'obs.boom', outcome: 'failed' })).toBe(2)
      expect(sum(samples, 'tq_jobs_total', { task: 'obs.flaky', outcome: 'retried' })).toBe(1)
      expect(sum(samples, 'tq_jobs_total', { task: 'obs.flaky', outcome: 'failed' })).toBe(1)
      expect(sum(samples, 'tq_retries_total')).toBe(1)
      expect(sum(samples, 'tq_retries_total', { task: 'obs.flaky' })).toBe(1)
      expect(sum(samples, 'tq_attempt_duration_seconds_count')).toBe(7)
      expect(sum(samples, 'tq_attempt_duration_seconds_count', { task: 'obs.ok', outcome: 'succeeded' })).toBe(3)
      // Every series is the worker's own.
      const workerIds = new Set(samples.filter((s) => s.name === 'tq_jobs_total').map((s) => s.labels.worker))
      expect(workerIds.size).toBe(1)
      expect([...workerIds][0]).toMatch(/:\d+:/)
      expect(sum(samples, 'tq_queue_jobs', { queue: 'default', state: 'succeeded' })).toBe(3)
      expect(sum(samples, 'tq_queue_jobs', { queue: 'default', state: 'failed' })).toBe(3)
      expect(sum(samples, 'tq_queue_jobs', { queue: 'default', state: 'queued' })).toBe(0)
      expect(sum(samples, 'tq_worker_slots')).toBe(4)
      expect(sum(samples, 'tq_worker_busy_slots')).toBe(0)
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404)
      worker.kill('SIGTERM')
      expect((await worker.waitExit(30_000)).code).toBe(0)
    },
    LOADED_TEST_MS,
  )
})

describe('tq worker --metrics with a bad address', () => {
  afterAll(cleanupTemp)
  it('says what is wrong in one line, exits non-zero and writes nothing', async () => {
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db' }`)
    const r = await runTq(['worker', '--metrics', 'localhost:99999'], { cwd: project.dir })
    expect(r.code).not.toBe(0)
    const lines = stderrLines(r)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(ERROR_LINE)
    expect(lines[0]).toMatch(/--metrics "localhost:99999" is not a \[host:\]port/)
    expect(existsSync(project.db)).toBe(false)
  })
})

describe('tq dev --metrics', () => {
  afterAll(cleanupTemp)
  afterEach(killAll)
  it(
    'serves the same metrics from the dev process',
    async () => {
      const project = obsProject(`{ broker: 'sqlite://.tq/tq.db' }`)
      const dev = startTq(['dev', '--metrics', '127.0.0.1:0', '--no-watch', '--no-beat', '--concurrency', '3'], { cwd: project.dir })
      await dev.waitForOutput(/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/, LOADED_TEST_MS, 'stderr')
      const url = /metrics on (http:\/\/\S+)/.exec(dev.stderr)![1]!
      const client = await connect({ config: project.path('tq.config.ts') })
      await client.enqueueMany('obs.ok', [{}, {}])
      await client.close()
      const samples = await waitUntil(async () => {
        const s = parsePrometheus(await (await fetch(url)).text())
        return sum(s, 'tq_jobs_total', { outcome: 'succeeded' }) === 2 ? s : false
      }, 'two successes in /metrics', LOADED_TEST_MS)
      expect(sum(samples, 'tq_worker_slots')).toBe(3)
      dev.kill('SIGTERM')
      expect((await dev.waitExit(30_000)).code).toBe(0)
    },
    LOADED_TEST_MS,
  )
})
