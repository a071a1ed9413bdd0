/**
 * The Redis broker (ioredis): the Broker interface over Lua scripts (./scripts), one per atomic
 * operation, with pub/sub wake-ups (./change-listener.ts) and a bounded-wait connection
 * (./connection.ts). Key layout, clock, costs and connection behaviour: ./README.md.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { newJobId } from '../job-id.js'
import { toJobJSON } from '../job-json.js'
import type { Broker, CancelResult, ClaimedJob, ClaimRequest, ClaimResult, EnqueueResult, JobFilter, JobJSON, JobState, NewJob, Outcome } from '../types.js'
import type { PruneRequest, QueueCounts, ReapedWorker, RenewResult, ScheduleRecord, WorkerInfo } from '../types.js'
import { FINAL_STATES, JOB_STATES } from '../types.js'
import { ChangeListener } from './change-listener.js'
import { JobEnds } from './job-ends.js'
import { RedisEventChannel } from './event-channel.js'
import { WorkerInboxes } from './worker-inboxes.js'
import { failedJobIds, queueCounts, readJobs, readSchedules, scanJobIds, throughputByQueue } from './job-reads.js'
import type { TqEvent } from '../event-types.js'
import { claimReply, enqueueChunks, jobArgs, pairs, pipelineResults, reapedWorkers, settleArgs, stored, str } from './codec.js'
import { openRedis, RedisConnection } from './connection.js'
import { defineScripts, runScript, scriptSource, type ScriptName } from './scripts/index.js'
import { keyBase, parseRedisUrl, type RedisUrlConfig } from './url.js'

const FINAL = new Set<JobState>(FINAL_STATES)

/** Jobs inserted per script call (~40 ms of Redis time at most); bigger batches use MULTI. */
const ENQUEUE_CHUNK = 1000
/** Jobs deleted per script call by purge and prune (each call is short; they loop). */
const DELETE_BATCH = 1000

export class RedisBroker implements Broker {
  readonly describe: string
  private readonly conn: RedisConnection
  private readonly redis: Redis
  private readonly ctx: { base: string; channel: string }
  private readonly listener: ChangeListener
  /** This broker's id as a waiter on jobs (watch-job.lua); its own channel is `<prefix>events:<id>`. */
  private readonly waiterId = randomBytes(8).toString('hex')
  private readonly jobEnds = new JobEnds()
  private readonly events: RedisEventChannel
  /** The inboxes of workers parked through this broker (enqueues hand them jobs). */
  private readonly inboxes: WorkerInboxes
  private closed = false

  /** Connects and waits until Redis answers (at most `connectTimeout`), or throws a BrokerError. */
  static async connect(url: string, opts: { background?: boolean } = {}): Promise<Broker> {
    const broker = new RedisBroker({ ...parseRedisUrl(url), background: opts.background })
    try {
      await broker.conn.open()
    } catch (err) {
      await broker.close()
      throw err
    }
    return broker
  }

  private constructor(cfg: RedisUrlConfig) {
    this.describe = cfg.describe
    this.ctx = { base: keyBase(cfg.prefix), channel: `${cfg.prefix}events` }
    this.conn = new RedisConnection(cfg, cfg.describe)
    this.redis = this.conn.redis
    defineScripts(this.redis)
    this.listener = new ChangeListener(
      () => openRedis(cfg, { enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResubscribe: false, connectionName: 'tq-events' }),
      this.ctx.channel,
      { channel: `${this.ctx.channel}:${this.waiterId}`, onMessage: (m) => this.jobEnds.deliver(m), onLost: () => this.jobEnds.interrupt() },
    )
    // Blocks on BLPOP: no command timeout; commands wait for a reconnection (the loop re-sends).
    this.inboxes = new WorkerInboxes(
      () => openRedis(cfg, { connectionName: 'tq-inbox', commandTimeout: undefined, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false }),
      (workerId) => this.key(`inbox:${workerId}`),
      () => this.listener.wake(),
      () => this.listener.claimable,
      () => (this.listener.worker = true),
    )
    this.events = new RedisEventChannel(this.redis, () => openRedis(cfg, { connectionName: 'tq-live-events' }), `${cfg.prefix}live-events`)
  }

  // ---- live events (./event-channel.ts) -----------------------------------------------

  publishEvents(events: readonly TqEvent[]): Promise<boolean> {
    // A producer's default client is a background connection: its last events (flushed by
    // close()) must keep the process alive until Redis has them.
    return this.conn.held(() => this.events.publish(events))
  }

  subscribeEvents(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    return this.events.subscribe(onEvents, signal)
  }

  private exec<T>(what: string, fn: () => Promise<T>, retry = false): Promise<T> {
    return this.conn.exec(what, fn, retry)
  }

  private script(name: ScriptName, args: readonly (string | number)[], given?: readonly string[]): Promise<unknown> {
    return runScript(this.redis, name, this.ctx, args, given)
  }

  private readonly keyOf = (name: string): string => this.key(name)

  private key(name: string): string {
    return this.ctx.base + name
  }

  /** Records a write of ours: caches built before it are stale. */
  private touched(): void {
    this.listener.touched()
  }

  // ---- producing -----------------------------------------------------------------------

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return []
    // Ids are chosen here, so a call retried after a dropped connection finds its own jobs.
    const now = Date.now()
    const ids = jobs.map((j) => j.id ?? newJobId(now))
    const generated = jobs.map((j) => j.id === undefined)
    const allGenerated = generated.every(Boolean)
    let attempts = 0
    const reply = await this.exec(
      'enqueue',
      async () => {
        // One script call per chunk; several chunks go in one MULTI/EXEC, so the batch stays
        // atomic and in order while no single script runs long enough to make Redis answer BUSY.
        // Ids drawn here are new on the first attempt only: a retry may find its own jobs.
        const chunks = enqueueChunks(jobs, ids, ENQUEUE_CHUNK, allGenerated && attempts++ === 0)
        if (chunks.length === 1) return (await this.script('enqueue', chunks[0]!)) as (string | number)[]
        // Inside MULTI a missing script cannot fall back to EVAL: make sure the server has it.
        await this.redis.script('LOAD', scriptSource('enqueue'))
        const tx = this.redis.multi()
        for (const args of chunks) void runScript(tx, 'enqueue', this.ctx, args)
        return (pipelineResults(await tx.exec()) as (string | number)[][]).flat()
      },
      true,
    )
    this.touched()
    const out: EnqueueResult[] = []
    for (let i = 0; i < jobs.length; i++) {
      const id = String(reply[2 * i])
      // A retried call finds the random-id jobs it inserted the first time: those are ours.
      out.push({ id, created: Number(reply[2 * i + 1]) === 1 || (generated[i]! && id === ids[i]) })
    }
    return out
  }

  async enqueueSlot(schedule: string, slotAt: number, job: NewJob & { id: string }): Promise<EnqueueResult> {
    const reply = (await this.exec('enqueue a schedule slot', () => this.script('enqueueSlot', [schedule, slotAt, ...jobArgs(job, job.id), job.headers ?? '']), true)) as [string, number]
    this.touched()
    return { id: String(reply[0]), created: Number(reply[1]) === 1 }
  }

  // ---- working -------------------------------------------------------------------------

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    if (req.limit <= 0 || req.queues.length === 0) return { jobs: [], nextRunAt: null }
    // Handed to this worker by an enqueue (scripts/handoff-lib.lua.ts): already leased, so no
    // round trip. The next scheduled run is the last claim's, unless something changed since
    // that a claim could find: then a claim from Redis follows at once (the next wait returns).
    const handed = this.inboxes.take(req.workerId, req.limit)
    if (handed) {
      if (this.listener.claimable !== handed.claimableAt) this.listener.wake()
      return { jobs: handed.jobs, nextRunAt: handed.nextRunAt }
    }
    const claimableAt = this.listener.claimable
    // Handed jobs returned from the inbox since the last claim: the script stops counting them as on their way.
    const delivered = this.inboxes.delivered(req.workerId)
    const reply = (await this.exec('claim', () => this.script('claim', [req.leaseMs, req.limit, req.workerId, delivered, ...req.queues]))) as (string | number)[]
    const { jobs: out, expired, nextRunAt } = claimReply(reply, req.limit)
    // Slots left: the script parked the worker, so enqueues may hand it jobs; read its inbox.
    if (!this.closed) this.inboxes.claimed(req.workerId, out.length < req.limit, nextRunAt, claimableAt)
    return { jobs: out, nextRunAt, ...(expired.length ? { expired } : {}) }
  }

  /** Jobs handed to this worker go straight to `start` (see HandingBroker in worker/engine-options.ts). */
  deliverHanded(workerId: string, start: ((job: ClaimedJob) => boolean) | undefined): void {
    this.inboxes.deliverTo(workerId, start)
  }

  async stopClaiming(workerId: string): Promise<void> {
    await this.inboxes.stop(
      workerId,
      // No more hand-offs; the stop mark tells the reader it has every job handed before it.
      () => this.exec('stop claiming', () => this.script('unpark', [workerId, 'stop'])),
      async (jobs) => {
        const back: (string | number)[] = [workerId, 'release']
        for (const j of jobs) back.push(j.id, j.token)
        if (Number(await this.exec('put back handed jobs', () => this.script('unpark', back), true)) > 0) this.touched()
      },
    )
  }

  async settle(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return []
    const { args, order } = settleArgs(outcomes)
    const reply = (await this.exec('settle', () => this.script('settle', args))) as number[]
    this.touched()
    const out: boolean[] = new Array(outcomes.length)
    for (let i = 0; i < reply.length; i++) out[order[i]!] = Number(reply[i]) === 1
    return out
  }

  async renew(leases: readonly { id: string; token: number }[], leaseMs: number): Promise<RenewResult> {
    if (leases.length === 0) return { lost: [], cancelRequested: [] }
    const args: (string | number)[] = [leaseMs]
    for (const l of leases) args.push(l.id, l.token)
    const [lost, cancelRequested] = (await this.exec('renew leases', () => this.script('renew', args), true)) as [string[], string[]]
    return { lost, cancelRequested }
  }

  async recoverExpired(): Promise<number> {
    const n = Number(await this.exec('recover expired leases', () => this.script('recoverExpired', [])))
    if (n > 0) this.touched()
    return n
  }

  async progress(id: string, token: number, progress: string): Promise<boolean> {
    const ok = await this.exec('store progress', () => this.script('progress', [token, progress], [this.key(`job:${id}`)]), true)
    return Number(ok) === 1
  }

  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.listener.wait(timeoutMs, signal)
  }

  /**
   * Reads the job and, in the same script, records this broker as waiting for it; the script
   * that ends it publishes the ended job to this broker's own channel (see watch-job.lua), so
   * the result needs no read after the notification: one round trip fewer than getJob after
   * waitForChange, and nothing more for jobs nobody waits for.
   */
  async waitForJob(id: string, timeoutMs: number): Promise<JobJSON | null> {
    // The mark is only safe once the subscription is in place: the end could come before it.
    if (this.closed || !(await this.listener.ready(timeoutMs))) return this.getJob(id)
    const end = this.jobEnds.expect(id)
    let job: JobJSON | null
    try {
      const h = (await this.exec('wait for a job', () => this.script('watchJob', [this.waiterId], [this.key(`job:${id}`)]), true)) as string[]
      job = h.length === 0 ? null : toJobJSON(stored(pairs(h)))
    } catch (err) {
      end.cancel()
      throw err
    }
    if (!job || FINAL.has(job.state)) return end.cancel(), job
    // Not ended in time (or the subscription dropped): the job as it is now.
    return (await end.ended(timeoutMs)) ?? this.getJob(id)
  }

  // ---- reading -------------------------------------------------------------------------

  async getJob(id: string): Promise<JobJSON | null> {
    const h = await this.exec('read a job', () => this.redis.hgetall(this.key(`job:${id}`)), true)
    return h.id === undefined ? null : toJobJSON(stored(h))
  }

  async findJobIds(fragment: string, limit: number): Promise<string[]> {
    if (fragment === '' || limit <= 0) return []
    return this.exec('find jobs by id', () => scanJobIds(this.redis, this.key('jobs'), fragment, limit), true)
  }

  async listJobs(filter: JobFilter): Promise<JobJSON[]> {
    const limit = filter.limit ?? 100
    const offset = Math.max(0, Math.floor(filter.offset ?? 0))
    const rows = (await this.exec('list jobs', () => this.script('listJobs', [filter.state ?? '', filter.queue ?? '', filter.task ?? '', limit, filter.workflowId ?? '', offset]), true)) as string[][]
    return rows.map((r) => toJobJSON(stored(pairs(r))))
  }

  async children(parentId: string): Promise<JobJSON[]> {
    return this.exec('list children', async () => readJobs(this.redis, this.keyOf, await this.redis.zrange(this.key(`children:${parentId}`), 0, -1)), true)
  }

  async counts(): Promise<QueueCounts[]> {
    return queueCounts((await this.exec('count jobs', () => this.script('counts', []), true)) as (string | number)[][])
  }

  async failedIds(queue?: string): Promise<string[]> {
    return this.exec('list failed jobs', () => failedJobIds(this.redis, this.keyOf, queue), true)
  }

  // ---- operations ----------------------------------------------------------------------

  async cancel(ids: readonly string[]): Promise<CancelResult> {
    if (ids.length === 0) return { cancelled: [], aborting: [] }
    // Not retried after a dropped connection: a second run would report the jobs as not cancellable.
    const [cancelled, aborting] = (await this.exec('cancel', () => this.script('cancel', [...ids]))) as [string[], string[]]
    this.touched()
    return { cancelled, aborting }
  }

  async retry(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return []
    const done = (await this.exec('retry', () => this.script('retry', [...ids]))) as string[]
    this.touched()
    return done
  }

  async purge(filter: { queue?: string; state?: JobState }): Promise<number> {
    if (filter.state === 'active') return 0
    let total = 0
    // One state at a time, each in bounded script calls (see purge.lua).
    const states = filter.state ? [filter.state] : JOB_STATES.filter((s) => s !== 'active')
    for (const state of states) {
      let skip = 0
      for (;;) {
        const args = [filter.queue ?? '', state, DELETE_BATCH, skip]
        const [n, more, kept] = (await this.exec('purge', () => this.script('purge', args), true)) as [number, number, number]
        total += Number(n)
        skip = Number(kept)
        if (Number(more) !== 1) break
      }
    }
    this.touched()
    return total
  }

  async pause(queue: string): Promise<void> {
    await this.exec('pause', () => this.script('pause', [queue]), true)
    this.touched()
  }

  async resume(queue: string): Promise<void> {
    await this.exec('resume', () => this.script('resume', [queue]), true)
    this.touched()
  }

  async takeRateTokens(key: string, intervalMs: number, n: number): Promise<{ granted: number; nextAt: number }> {
    if (n <= 0) n = 0
    const [granted, nextAt] = (await this.exec('take rate tokens', () => this.script('rateTokens', [intervalMs, n], [this.key(`rate:${key}`)]))) as [number, string]
    return { granted: Number(granted), nextAt: Number(nextAt) }
  }

  // ---- beat ----------------------------------------------------------------------------

  async saveSchedules(schedules: readonly Omit<ScheduleRecord, 'lastSlotAt' | 'lastJobId'>[]): Promise<void> {
    const args: (string | number)[] = [schedules.length]
    for (const s of schedules) args.push(s.name, s.task, s.expression, s.tz, str(s.nextAt))
    await this.exec('save schedules', () => this.script('saveSchedules', args), true)
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.exec('list schedules', () => readSchedules(this.redis, this.keyOf), true)
  }

  // ---- workers -------------------------------------------------------------------------

  async heartbeat(info: WorkerInfo, reapAfterMs = 0): Promise<ReapedWorker[]> {
    const reply = (await this.exec('record a heartbeat', () => this.script('heartbeat', [info.id, JSON.stringify(info), reapAfterMs]), true)) as (string | number)[]
    const reaped = reapedWorkers(reply)
    if (reaped.some((r) => r.requeued > 0)) this.touched()
    return reaped
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const all = await this.exec('list workers', () => this.redis.hgetall(this.key('workers')), true)
    return Object.keys(all)
      .sort()
      .map((id) => JSON.parse(all[id]!) as WorkerInfo)
  }

  async removeWorker(id: string): Promise<void> {
    await this.exec('remove a worker', () => this.redis.multi().hdel(this.key('workers'), id).zrem(this.key('worker-beats'), id).exec(), true)
  }

  // ---- retention -----------------------------------------------------------------------

  async prune(req: PruneRequest): Promise<number> {
    let total = 0
    for (;;) {
      const [n, more] = (await this.exec('prune', () => this.script('prune', [str(req.finishedBefore), str(req.failedBefore), DELETE_BATCH]), true)) as [number, number]
      total += Number(n)
      if (Number(more) !== 1) break
    }
    return total
  }

  async throughput(seconds: number): Promise<Record<string, number[]>> {
    const n = Math.floor(seconds)
    if (!(n > 0)) return {}
    return throughputByQueue((await this.exec('read throughput', () => this.script('throughput', [n]), true)) as string[][], n)
  }

  async close(): Promise<void> {
    if (this.closed) return
    // A worker that did not say it stopped (stopClaiming) is stopping now: put back its inbox.
    for (const workerId of this.inboxes.workerIds) await this.stopClaiming(workerId).catch(() => undefined)
    this.closed = true
    this.events.close()
    await this.listener.close()
    await this.conn.close()
  }
}
