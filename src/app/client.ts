import { dirname } from 'node:path'
import { openBroker, type OpenOptions } from '../broker/open-broker.js'
import type { ProducerBroker } from '../broker/types.js'
import { ConfigError, UnknownTaskError } from '../errors.js'
import { JobHandle, type EnqueueOptions } from './job-handle.js'
import { assertTaskName } from './names.js'
import { GroupCommit } from './group-commit.js'
import { buildNewJob } from './new-job.js'
import { canvasNode, isCanvas, type Canvas } from './canvas.js'
import { layOutWorkflow } from './workflow-layout.js'
import { JOIN_TASK } from '../broker/workflow.js'
import type { Size } from './size.js'
import type { ResultJson } from './json-types.js'
import type { PayloadFor, ResultFor, TaskContract, TaskName, TaskOptions } from './task-types.js'
import type { ConfigLookup } from './config-file.js'
import { DEFAULT_BROKER } from './config.js'
import { EventBatcher } from '../broker/event-batcher.js'
import { countSent, otel, otelRegistered, startProducerSpan } from '../util/tracing.js'
import { enqueuedEvents } from './announce.js'

/**
 * A producer's connection: enqueue jobs and read them back, without running a worker.
 * `const tq = await connect()` in a web server; `await tq.close()` on shutdown.
 */
export class Client {
  constructor(
    /** Not public: the claim/settle/lease protocol is between the worker engine and the broker. */
    private readonly broker: ProducerBroker,
    /** Known tasks by name (a project's registry); with them, enqueueing an unknown task name is an error. */
    private readonly known?: { readonly tasks: ReadonlyMap<string, TaskContract<any, any>> },
    /** Project-wide limits from the config; a task's own options win over them. */
    private readonly limits: { maxPayload?: Size; /** false: no producer spans, no trace context stored (config tracing.enabled). */ tracing?: boolean } = {},
    /** The clock delays and `at` are counted from (tqjs/testing passes its fake one). */
    private readonly now: () => number = Date.now,
  ) {
    this.writes = new GroupCommit(broker)
    this.events = new EventBatcher(broker, 0)
  }

  /** `enqueued` events, published a turn after the write (see tq events). */
  private readonly events: EventBatcher

  /** Concurrent enqueues share one write (see group-commit.ts). */
  private readonly writes: GroupCommit

  /**
   * Enqueues one job: `tq.enqueue(sendWelcome, { to })`, or by name, typed through `TaskRegistry`.
   * The handle's `result()` is typed as the handler's result after JSON (a Date arrives as a string).
   */
  enqueue<P, R>(task: TaskContract<P, R>, payload: NoInfer<P>, opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>>
  enqueue<N extends TaskName>(task: N, payload: PayloadFor<N>, opts?: EnqueueOptions): Promise<JobHandle<ResultFor<N>>>
  /**
   * Enqueues a workflow (`chain`, `group`, `chord`) in one atomic write. The handle's id is the
   * workflow's; `result()` resolves with its final result, `cancel()` cancels every step not ended.
   * A first step that takes the previous result has none to take: its payload type must accept
   * `undefined`, else this is a compile error.
   */
  enqueue<Out>(workflow: Canvas<undefined, Out>): Promise<JobHandle<Out>>
  async enqueue(task: TaskContract<any, any> | string | Canvas<any, any>, payload?: unknown, opts?: EnqueueOptions): Promise<JobHandle<unknown>> {
    if (isCanvas(task)) return this.enqueueWorkflow(task)
    const [handle] = await this.enqueueBatch(task, [payload], opts)
    return handle!
  }

  private async enqueueWorkflow(workflow: Canvas<any, any>): Promise<JobHandle<unknown>> {
    const { id, jobs } = layOutWorkflow(canvasNode(workflow), this.now(), this.limits.maxPayload)
    for (const j of jobs) if (j.task !== JOIN_TASK) this.resolve(j.task)
    await this.writes.enqueue(jobs)
    return new JobHandle(this.broker, id, true, jobs[jobs.length - 1]!.queue)
  }

  /** Enqueues many payloads of one task in one atomic write. */
  enqueueMany<P, R>(task: TaskContract<P, R>, payloads: readonly NoInfer<P>[], opts?: EnqueueOptions): Promise<JobHandle<ResultJson<R>>[]>
  enqueueMany<N extends TaskName>(task: N, payloads: readonly PayloadFor<N>[], opts?: EnqueueOptions): Promise<JobHandle<ResultFor<N>>[]>
  enqueueMany(task: TaskContract<any, any> | string, payloads: readonly unknown[], opts?: EnqueueOptions): Promise<JobHandle<unknown>[]> {
    return this.enqueueBatch(task, payloads, opts)
  }

  private async enqueueBatch(task: TaskContract<any, any> | string, payloads: readonly unknown[], opts?: EnqueueOptions): Promise<JobHandle<unknown>[]> {
    const [name, options] = this.resolve(task)
    const now = this.now()
    const jobs = payloads.map((p) => buildNewJob(name, options, p, opts, now, this.limits.maxPayload))
    // A `send <queue>` span; its trace context goes with the jobs (nothing without an SDK).
    const traced = this.limits.tracing !== false && jobs.length > 0 && (otel() !== undefined || otelRegistered())
    const span = traced ? await startProducerSpan(jobs[0]!.queue, name, jobs.length) : undefined
    if (span?.headers !== undefined) for (const j of jobs) j.headers = span.headers
    let results
    try {
      results = await this.writes.enqueue(jobs)
    } catch (err) {
      span?.end([], err)
      throw err
    }
    span?.end(results.map((r) => r.id))
    if (jobs.length > 0) countSent(jobs[0]!.queue, jobs.length)
    // Built only while someone listens (the batcher asks the broker again now and then): a lone
    // caller's enqueue then costs no event, no timer and no listener lookup.
    if (this.events.wanted) for (const e of enqueuedEvents(jobs, results)) this.events.push(e)
    else this.events.skipped()
    return results.map((r, i) => new JobHandle(this.broker, r.id, r.created, jobs[i]!.queue))
  }

  /** A handle on an existing job. */
  job<R = unknown>(id: string): JobHandle<R> {
    return new JobHandle<R>(this.broker, id)
  }

  async close(): Promise<void> {
    await this.events.flush()
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

export interface ConnectOptions extends ConfigLookup {
  /** A broker URL; the config file is then not read. */
  broker?: string
  /** Largest payload accepted (bytes or `'512kb'`); default the config's `maxPayload`, else 1 MiB. A task's own option wins. */
  maxPayload?: Size
}

/**
 * Connects a producer to the project's broker: `broker`, else TQ_BROKER_URL, else the broker of
 * the tq.config.ts in the working folder or above it (`config` names one). With none of these it
 * throws a ConfigError rather than start an empty database that no worker reads.
 */
export function connect(opts: ConnectOptions = {}): Promise<Client> {
  return connectWith(opts, {})
}

async function connectWith(opts: ConnectOptions, open: OpenOptions): Promise<Client> {
  const url = opts.broker ?? (process.env.TQ_BROKER_URL || undefined)
  // Loaded on demand: reading a TypeScript config needs esbuild, and task threads import this module.
  const { findConfig, readConfig } = await import('./config-file.js')
  const configFile = findConfig(opts)
  const cwd = opts.cwd ?? process.cwd()
  // A relative SQLite path is the project's, as for the CLI: next to its tq.config.ts.
  const root = configFile ? dirname(configFile) : cwd
  // With a URL the config is not even read: a producer needs nothing but the broker.
  if (url) return new Client(await openBroker(url, root, open), undefined, { maxPayload: opts.maxPayload })
  if (!configFile) {
    throw new ConfigError(`no tq.config.ts in ${cwd} or above it, and no broker given`, "pass connect({ config: '/path/to/tq.config.ts' }) or { broker }, or set TQ_BROKER_URL")
  }
  const { config } = await readConfig(configFile)
  return new Client(await openBroker(config.broker ?? DEFAULT_BROKER, root, open), undefined, { maxPayload: opts.maxPayload ?? config.maxPayload, tracing: config.tracing?.enabled !== false })
}

let shared: Promise<Client> | undefined

/**
 * The client `task.enqueue()` uses, connected on first use. Its connections do not keep the
 * process alive between operations, so a script that enqueues and ends exits by itself; a
 * failed connection is not kept, so the next use tries again.
 */
export function defaultClient(): Promise<Client> {
  if (!shared) {
    const p = connectWith({}, { background: true })
    shared = p
    p.catch(() => {
      if (shared === p) shared = undefined
    })
  }
  return shared
}

/** Closes the client `task.enqueue()` uses, if it was opened; the next `task.enqueue()` opens it again. */
export async function closeDefaultClient(): Promise<void> {
  const p = shared
  shared = undefined
  if (!p) return
  const client = await p.catch(() => undefined)
  await client?.close()
}
