/**
 * `tq events --json` while a worker runs a burst of jobs, a failure and a cancel, on SQLite and
 * Redis: each event arrives as one NDJSON line (enqueued, started, progress, succeeded, failed,
 * cancelled, worker-online, worker-offline); --task and --queue filter.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/app/client.js'
import { cleanupTemp, killAll, LOADED_TEST_MS, runTq, startTq, startWorker, type TqProcess } from '../helpers/tq.js'
import { brokerCases } from './brokers.js'
import { obsProject } from './fixture.js'

interface Ev {
  type: string
  at: string
  id?: string
  task?: string
  queue?: string
  worker?: string
  error?: { name?: string; message: string }
  progress?: unknown
}

const events = (p: TqProcess): Ev[] =>
  p.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev)

const count = (evs: Ev[], type: string, task?: string) => evs.filter((e) => e.type === type && (task === undefined || e.task === task)).length

describe.each(brokerCases())('tq events on $name', (bc) => {
  afterAll(cleanupTemp)
  afterEach(async () => {
    await killAll()
    await bc.cleanup()
  })

  it(
    'prints every job and worker event of a burst, a failure and a cancel as NDJSON, as they happen; --task filters',
    async () => {
      const project = obsProject(`{ broker: '${bc.url()}' }`)
      // The store must exist before tq events (it refuses to create one): a producer makes it.
      const client = await connect({ config: project.path('tq.config.ts') })
      const all = startTq(['events', '--json'], { cwd: project.dir })
      const onlyBoom = startTq(['events', '--json', '--task', 'obs.boom', '--queue', 'default'], { cwd: project.dir })
      await all.waitForOutput(/listening for events/, LOADED_TEST_MS, 'stderr')
      await onlyBoom.waitForOutput(/listening for events/, LOADED_TEST_MS, 'stderr')

      const worker = await startWorker(project.dir, ['--concurrency', '4'], LOADED_TEST_MS)
      await all.waitFor((p) => count(events(p), 'worker-online') === 1, 'worker-online', 20_000)

      const burst = await client.enqueueMany('obs.ok', Array.from({ length: 20 }, (_, n) => ({ n })))
      const boom = await client.enqueue('obs.boom', {})
      const later = await client.enqueue('obs.ok', { n: -1 }, { delay: '1h' })
      await later.cancel()
      await all.waitFor((p) => count(events(p), 'succeeded') === 20 && count(events(p), 'failed') === 1 && count(events(p), 'cancelled') === 1, 'the run', LOADED_TEST_MS)
      await client.close()

      worker.kill('SIGTERM')
      expect((await worker.waitExit(30_000)).code).toBe(0)
      await all.waitFor((p) => count(events(p), 'worker-offline') === 1, 'worker-offline', 20_000)

      const evs = events(all)
      for (const e of evs) expect(new Date(e.at).toISOString()).toBe(e.at)
      expect(count(evs, 'enqueued')).toBe(22)
      expect(count(evs, 'started')).toBe(21)
      expect(count(evs, 'progress')).toBe(20)
      expect(evs.filter((e) => e.type === 'succeeded').map((e) => e.id).sort()).toEqual(burst.map((h) => h.id).sort())
      expect(evs.find((e) => e.type === 'failed')).toMatchObject({ id: boom.id, task: 'obs.boom', queue: 'default', error: { name: 'TypeError', message: 'boom' } })
      expect(evs.find((e) => e.type === 'cancelled')).toMatchObject({ id: later.id, task: 'obs.ok', queue: 'default' })
      // A job's events come in the order they happened.
      const ofBoom = evs.filter((e) => e.id === boom.id).map((e) => e.type)
      expect(ofBoom).toEqual(['enqueued', 'started', 'failed'])
      const workerId = evs.find((e) => e.type === 'worker-online')!.worker
      expect(evs.filter((e) => e.type === 'started').every((e) => e.worker === workerId)).toBe(true)

      await onlyBoom.waitFor((p) => count(events(p), 'worker-offline') === 1, 'worker-offline (filtered)', 20_000)
      const filtered = events(onlyBoom)
      expect(filtered.filter((e) => e.id !== undefined).every((e) => e.task === 'obs.boom')).toBe(true)
      expect(filtered.filter((e) => e.id === boom.id).map((e) => e.type)).toEqual(['enqueued', 'started', 'failed'])

      all.kill('SIGINT')
      onlyBoom.kill('SIGINT')
      expect((await all.waitExit(20_000)).code).toBe(0)
      expect((await onlyBoom.waitExit(20_000)).code).toBe(0)
    },
    LOADED_TEST_MS,
  )
})

describe('tq events for people', () => {
  afterAll(cleanupTemp)
  afterEach(killAll)
  it('prints one readable line per event, with control characters neutralised', async () => {
    const project = obsProject(`{ broker: 'sqlite://.tq/tq.db' }`)
    const client = await connect({ config: project.path('tq.config.ts') })
    const ev = startTq(['events'], { cwd: project.dir, env: { NO_COLOR: '1' } })
    await ev.waitForOutput(/listening for events/, LOADED_TEST_MS, 'stderr')
    await client.enqueue('obs.evil', {})
    await client.close()
    const r = await runTq(['worker', '--burst'], { cwd: project.dir, timeoutMs: LOADED_TEST_MS })
    expect(r.code).toBe(0)
    await ev.waitForOutput(/failed/, 20_000, 'stdout')
    const lines = ev.stdout.split('\n').filter(Boolean)
    expect(lines.some((l) => /enqueued\s+obs\.evil \S+ \[default\]/.test(l))).toBe(true)
    expect(lines.find((l) => / failed /.test(l))).toMatch(/obs\.evil .*Error: bad .*red/)
    expect(ev.stdout).not.toContain('\x1b')
  })
})
