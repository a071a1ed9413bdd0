import { Client } from '../app/client.js'
import { canvasQueues, isCanvas } from '../app/canvas.js'
import { Beat } from '../beat/beat.js'
import { nextSlot } from '../beat/slots.js'
import { MEMORY, SqliteBroker } from '../broker/sqlite/sqlite-broker.js'
import type { JobFilter, JobJSON } from '../broker/types.js'
import { UsageError } from '../errors.js'
import type { Registry } from '../loader/registry.js'
import { toMs, type Duration } from '../util/duration.js'
import { catalogOf, manifestOf } from '../worker/manifest.js'
import { FakeClock, toEpoch, type TestClock } from './clock.js'
import { InProcessRunner, type TestLogLine } from './runner.js'
import { registryFromList, registryFromProject, type TaskSource, type TestConfig } from './task-sources.js'

export interface TestQueueOptions {
  /**
   * The tasks and schedules: task objects, `schedule(…)` values or whole modules
   * (`import * as tasks from '../tasks/email.js'`). Default: the project's, found through
   * tq.config.ts as `tq worker` finds them (bundled, so `vi.mock` does not reach their imports).
   */
  tasks?: readonly TaskSource[]
  /** With `tasks`: the config's schedules, maxPayload and worker queues to apply. Without: the path of tq.config.ts. */
  config?: TestConfig | string
  /** Where to look for tq.config.ts when `tasks` is not given. Default: the working folder. */
  cwd?: string
  /** The clock's start (a Date, ISO string or epoch ms). Default: the real time now. */
  now?: Date | string | number
  /** Jobs run at once by runUntilIdle(), as a worker's concurrency. Default 10. */
  concurrency?: number
  /** runUntilIdle() throws after this many attempts in one call (a job enqueueing itself forever). Default 100000. */
  maxJobs?: number
}

/** A real tq engine in memory, on a clock the test moves. Each test makes its own. */
export interface TestQueue {
  /** The queue's time: `await q.clock.advance('1h')`. */
  readonly clock: TestClock
  /** Enqueues through the same pipeline and types as a client (`connect()`). */
  readonly enqueue: Client['enqueue']
  readonly enqueueMany: Client['enqueueMany']
  /** Runs every job ready now, and those they enqueue, until none is ready; resolves with how many attempts ran. */
  runUntilIdle(): Promise<number>
  /** Runs the one job that would be claimed next; resolves with it as stored afterwards, or null when none is ready. */
  runNext(): Promise<JobJSON | null>
  /**
   * Plays out `duration` in order: runs what is ready, moves the clock to the next due job or
   * schedule slot, runs again, until `duration` has passed. Resolves with how many attempts ran.
   */
  runFor(duration: Duration): Promise<number>
  /** Jobs as `tq jobs --json` lists them (newest first), filtered by state, queue or task. */
  jobs(filter?: JobFilter): Promise<JobJSON[]>
  /** One job as `tq job --json` shows it, or null. */
  job(id: string | { id: string }): Promise<JobJSON | null>
  /** Lines tasks logged with ctx.log, oldest first (of one job when given its id). */
  logs(jobId?: string): TestLogLine[]
  /** The task names the queue runs. */
  readonly tasks: readonly string[]
  close(): Promise<void>
}

/**
 * A test queue: the SQLite broker on `:memory:`, the given (or the project's) tasks run in this
 * process by the engine's own attempt and outcome code, beat for their schedules, and one fake
 * clock shared by all three. Nothing is global, so tests and test files run in parallel.
 */
export async function createTestQueue(opts: TestQueueOptions = {}): Promise<TestQueue> {
  const { registry, config } = await resolveTasks(opts)
  for (const s of registry.schedules) {
    if ('refused' in s.slot) throw new UsageError(`schedule "${s.name}": ${s.slot.refused}`, 'give the schedule a payload its task accepts')
  }
  const clock = new FakeClock(opts.now === undefined ? Date.now() : toEpoch(opts.now, 'start time'))
  const broker = new SqliteBroker(MEMORY, { now: clock.now })
  const catalog = catalogOf(manifestOf(registry))
  // A worker's default queues (`default` and every queue a task names), the schedules' and the
  // config's; enqueues to any other queue add it.
  const queues = new Set(['default', ...config.worker?.queues ?? [], ...[...catalog.values()].map((t) => t.options.queue ?? 'default')])
  for (const s of registry.schedules) if ('job' in s.slot) queues.add(s.slot.job.queue)
  const logs: TestLogLine[] = []
  const runner = new InProcessRunner({
    broker,
    registry,
    catalog,
    now: clock.now,
    queues,
    concurrency: Math.max(1, opts.concurrency ?? 10),
    leaseMs: config.worker?.lease !== undefined ? toMs(config.worker.lease, 'worker.lease') : 30_000,
    maxPayload: config.maxPayload,
    logs,
  })
  const beatErrors: Error[] = []
  const beat = new Beat(broker, registry.schedules, {
    now: clock.now,
    manual: true,
    onEvent: (e) => void (e.type === 'error' && beatErrors.push(e.error)),
  })
  await beat.start()
  clock.whenMoved(async () => {
    await beat.tick()
    if (beatErrors.length > 0) throw beatErrors.splice(0)[0]
    await runner.clockMoved()
    // Results past their resultTtl are cleared as a worker's pruning clears them (jobs are kept).
    await broker.prune({})
  })

  const client = new Client(broker, { tasks: registry.tasks }, { maxPayload: config.maxPayload }, clock.now)
  const maxJobs = opts.maxJobs ?? 100_000
  const enqueue = (async (task: never, payload: never, o?: never) => {
    const handle = await client.enqueue(task, payload, o)
    queues.add(handle.queue!)
    if (isCanvas(task)) for (const q of canvasQueues(task)) queues.add(q)
    return handle
  }) as Client['enqueue']
  const enqueueMany = (async (task: never, payloads: never, o?: never) => {
    const handles = await client.enqueueMany(task, payloads, o)
    if (handles[0]) queues.add(handles[0].queue!)
    return handles
  }) as Client['enqueueMany']

  /** When the next scheduled job or schedule slot is due, or Infinity (called right after runUntilIdle drained the queues). */
  const nextDue = (): number => {
    let next = runner.nextRunAt ?? Infinity
    for (const s of registry.schedules) next = Math.min(next, nextSlot(s.timing, clock.now()))
    return next
  }

  return {
    clock,
    enqueue,
    enqueueMany,
    tasks: [...registry.tasks.keys()].sort(),
    runUntilIdle: () => runner.runUntilIdle(maxJobs),
    async runNext() {
      const [job] = await runner.runBatch(1)
      return job ? broker.getJob(job.id) : null
    },
    async runFor(duration) {
      const until = clock.now() + toMs(duration, 'runFor duration')
      let ran = await runner.runUntilIdle(maxJobs)
      for (let at = nextDue(); at <= until; at = nextDue()) {
        await clock.set(at)
        ran += await runner.runUntilIdle(maxJobs)
      }
      if (clock.now() < until) await clock.set(until)
      return ran + (await runner.runUntilIdle(maxJobs))
    },
    jobs: (filter = {}) => broker.listJobs({ ...filter, limit: filter.limit ?? -1 }),
    job: (id) => broker.getJob(typeof id === 'string' ? id : id.id),
    logs: (jobId) => (jobId === undefined ? [...logs] : logs.filter((l) => l.jobId === jobId)),
    async close() {
      await beat.stop()
      await broker.close()
    },
  }
}

async function resolveTasks(opts: TestQueueOptions): Promise<{ registry: Registry; config: TestConfig }> {
  if (opts.tasks !== undefined) {
    if (typeof opts.config === 'string') throw new UsageError('config is a path, but tasks are given too', 'give the config as an object ({ schedules, maxPayload }) with tasks, or leave tasks out to load the project')
    if (!Array.isArray(opts.tasks)) throw new UsageError('tasks must be a list', 'pass tasks: [sendWelcome, sum] or tasks: [tasksModule]')
    const config = opts.config ?? {}
    return { registry: registryFromList(opts.tasks, config), config }
  }
  return registryFromProject({ cwd: opts.cwd, config: typeof opts.config === 'string' ? opts.config : undefined })
}
