import { openBroker } from '../broker/open-broker.js'
import type { Broker } from '../broker/types.js'
import { UnknownTaskError } from '../errors.js'
import type { ProjectOptions } from '../loader/project.js'
import { JobHandle, type EnqueueOptions } from './job-handle.js'
import { buildNewJob } from './new-job.js'
import type { Registry } from './registry.js'
import type { Task, TaskOptions } from './task.js'

/**
 * A producer's connection: enqueue jobs and read them back, without running a worker.
 * `const tq = await connect()` in a web server; `await tq.close()` on shutdown.
 */
export class Client {
  constructor(
    readonly broker: Broker,
    /** Known tasks; with one, enqueueing an unknown task name is an error. */
    private readonly registry?: Registry,
  ) {}

  async enqueue<P, R>(task: Task<P, R> | string, payload: P, opts?: EnqueueOptions): Promise<JobHandle<Awaited<R>>> {
    const [handle] = await this.enqueueMany(task, [payload], opts)
    return handle!
  }

  /** Enqueues many payloads of one task in one atomic write. */
  async enqueueMany<P, R>(task: Task<P, R> | string, payloads: readonly P[], opts?: EnqueueOptions): Promise<JobHandle<Awaited<R>>[]> {
    const [name, options] = this.resolve(task)
    const now = Date.now()
    const jobs = payloads.map((p) => buildNewJob(name, options, p, opts, now))
    const results = await this.broker.enqueue(jobs)
    return results.map((r, i) => new JobHandle<Awaited<R>>(this.broker, r.id, r.created, jobs[i]!.queue))
  }

  /** A handle on an existing job. */
  job<R = unknown>(id: string): JobHandle<R> {
    return new JobHandle<R>(this.broker, id)
  }

  close(): Promise<void> {
    return this.broker.close()
  }

  private resolve(task: Task<any, any> | string): [string, TaskOptions<unknown> | undefined] {
    if (typeof task !== 'string') return [task.name, task.options as TaskOptions<unknown>]
    const known = this.registry?.tasks.get(task)
    if (this.registry && !known) {
      const names = [...this.registry.tasks.keys()].sort()
      throw new UnknownTaskError(`unknown task "${task}"`, names.length ? `known tasks: ${names.join(', ')}` : 'define it with task() in a file under tasks/')
    }
    return [task, known?.options as TaskOptions<unknown> | undefined]
  }
}

export interface ConnectOptions extends ProjectOptions {
  /** A broker URL; skips looking for the config file. */
  broker?: string
}

/**
 * Connects a producer to the project's broker: `broker`, else TQ_BROKER_URL, else the
 * tq.config.ts in the working folder, else the default `sqlite://.tq/tq.db` there.
 */
export async function connect(opts: ConnectOptions = {}): Promise<Client> {
  const url = opts.broker ?? (process.env.TQ_BROKER_URL || undefined)
  if (url) return new Client(await openBroker(url, opts.cwd ?? process.cwd()))
  try {
    // Loaded on demand: the bundler behind it is heavy, and task threads import this module.
    const { loadProject } = await import('../loader/project.js')
    const project = await loadProject(opts)
    return new Client(await openBroker(project.brokerUrl, project.root))
  } catch (err) {
    if ((err as Error).name === 'ConfigError' && !opts.config) {
      const { DEFAULT_BROKER } = await import('./config.js')
      return new Client(await openBroker(DEFAULT_BROKER, opts.cwd ?? process.cwd()))
    }
    throw err
  }
}

let shared: Promise<Client> | undefined

/** The client `task.enqueue()` uses, connected on first use. */
export function defaultClient(): Promise<Client> {
  shared ??= connect()
  return shared
}
