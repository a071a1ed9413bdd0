import { dirname } from 'node:path'
import { openBroker } from '../broker/open-broker.js'
import type { Broker } from '../broker/types.js'
import { ConfigError, UnknownTaskError } from '../errors.js'
import type { ProjectOptions } from '../loader/project.js'
import { JobHandle, type EnqueueOptions } from './job-handle.js'
import { assertTaskName } from './names.js'
import { buildNewJob } from './new-job.js'
import type { Size } from './size.js'
import type { ResultJson } from './json-types.js'
import type { PayloadFor, ResultFor, TaskContract, TaskName, TaskOptions } from './task-types.js'

/**
 * A producer's connection: enqueue jobs and read them back, without running a worker.
 * `const tq = await connect()` in a web server; `await tq.close()` on shutdown.
 */
export class Client {
  constructor(
    readonly broker: Broker,
    /** Known tasks by name (a project's registry); with them, enqueueing an unknown task name is an error. */
    private readonly known?: { readonly tasks: ReadonlyMap<string, TaskContract<any, any>> },
    /** Project-wide limits from the config; a task's own options win over them. */
    private readonly limits: { maxPayload?: Size } = {},
  ) {}

  /**
   * Enqueues one job: `tq.enqueue(sendWelcome, { to })`, or by name, typed through `TaskRegistry`.
   * The handle's `result()` is typed as the handler's result after JSON (a Date arrives as a string).
   */
  enqueue<P, R>(task: TaskContract<P, R>, payload: NoInfer<P>, opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>>
  enqueue<N extends TaskName>(task: N, payload: PayloadFor<N>, opts?: EnqueueOptions): Promise<JobHandle<ResultFor<N>>>
  async enqueue(task: TaskContract<any, any> | string, payload: unknown, opts?: EnqueueOptions): Promise<JobHandle<unknown>> {
    const [handle] = await this.enqueueBatch(task, [payload], opts)
    return handle!
  }

  /** Enqueues many payloads of one task in one atomic write. */
  enqueueMany<P, R>(task: TaskContract<P, R>, payloads: readonly NoInfer<P>[], opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>[]>
  enqueueMany<N extends TaskName>(task: N, payloads: readonly PayloadFor<N>[], opts?: EnqueueOptions): Promise<JobHandle<ResultFor<N>>[]>
  enqueueMany(task: TaskContract<any, any> | string, payloads: readonly unknown[], opts?: EnqueueOptions): Promise<JobHandle<unknown>[]> {
    return this.enqueueBatch(task, payloads, opts)
  }

  private async enqueueBatch(task: TaskContract<any, any> | string, payloads: readonly unknown[], opts?: EnqueueOptions): Promise<JobHandle<unknown>[]> {
    const [name, options] = this.resolve(task)
    const now = Date.now()
    const jobs = payloads.map((p) => buildNewJob(name, options, p, opts, now, this.limits.maxPayload))
    const results = await this.broker.enqueue(jobs)
    return results.map((r, i) => new JobHandle(this.broker, r.id, r.created, jobs[i]!.queue))
  }

  /** A handle on an existing job. */
  job<R = unknown>(id: string): JobHandle<R> {
    return new JobHandle<R>(this.broker, id)
  }

  close(): Promise<void> {
    return this.broker.close()
  }

  private resolve(task: TaskContract<any, any> | string): [string, TaskOptions<unknown> | undefined] {
    if (typeof task !== 'string') return [task.name, task.options as TaskOptions<unknown>]
    // Checked before the known tasks, so `enqueue('')` says what is wrong with the name, not "unknown".
    assertTaskName(task)
    const known = this.known?.tasks.get(task)
    if (this.known && !known) {
      const names = [...this.known.tasks.keys()].sort()
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
 * Connects a producer to the project's broker: `broker`, else TQ_BROKER_URL, else the broker of
 * the tq.config.ts in the working folder or above it (`config` names one). With none of these it
 * throws a ConfigError rather than start an empty database that no worker reads.
 */
export async function connect(opts: ConnectOptions = {}): Promise<Client> {
  const url = opts.broker ?? (process.env.TQ_BROKER_URL || undefined)
  // Loaded on demand: the bundler behind it is heavy, and task threads import this module.
  const { findConfig, loadProject } = await import('../loader/project.js')
  const config = findConfig(opts)
  const cwd = opts.cwd ?? process.cwd()
  // A relative SQLite path is the project's, as for the CLI: next to its tq.config.ts.
  if (url) return new Client(await openBroker(url, config ? dirname(config) : cwd))
  if (!config) {
    throw new ConfigError(`no tq.config.ts in ${cwd} or above it, and no broker given`, "pass connect({ config: '/path/to/tq.config.ts' }) or { broker }, or set TQ_BROKER_URL")
  }
  const project = await loadProject(opts)
  return new Client(await openBroker(project.brokerUrl, project.root))
}

let shared: Promise<Client> | undefined

/** The client `task.enqueue()` uses, connected on first use. */
export function defaultClient(): Promise<Client> {
  shared ??= connect()
  return shared
}
