/**
 * The Redis broker (ioredis): the Broker interface over Lua scripts (./scripts), one per atomic
 * operation, with pub/sub wake-ups (./change-listener.ts) and a bounded-wait connection
 * (./connection.ts). Key layout, clock, costs and connection behaviour: ./README.md.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { newJobId } from '../job-id.js'
import { emptyCounts, toJobJSON } from '../job-json.js'
import type {
  Broker,
  CancelResult,
  ClaimedJob,
  ClaimRequest,
  ClaimResult,
  EnqueueResult,
  JobFilter,
  JobJSON,
  JobState,
  NewJob,
  Outcome,
  PruneRequest,
  QueueCounts,
  ReapedWorker,
  RenewResult,
  ScheduleRecord,
  WorkerInfo,
} from '../types.js'
import { FINAL_STATES, JOB_STATES } from '../types.js'
import { ChangeListener } from './change-listener.js'
import { InboxReader } from './inbox-reader.js'
import { JobEnds } from './job-ends.js'
import { RedisEventChannel } from './event-channel.js'
import type { TqEvent } from '../event-types.js'
import { claimedJob, headerArgs, jobArgs, outcomeArgs, pairs, pipelineResults, reapedWorkers, scheduleRecord, stored, str } from './codec.js'
import { openRedis, RedisConnection } from './connection.js'
import { defineScripts, runScript, scriptSource, type ScriptName } from './scripts/index.js'
import { keyBase, parseRedisUrl, type RedisUrlConfig } from './url.js'

const FINAL = new Set<JobState>(FINAL_STATES)

/** A worker's inbox (scripts/handoff-lib.lua.ts) as this broker reads it. */
interface Inbox {
  reader: InboxReader
  /** Jobs its reader popped that no claim has returned yet. */
  handed: ClaimedJob[]
  /** 'id:token' of handed jobs returned since the last claim from Redis, which tells the script. */
  delivered: string[]
  /** What the worker's last claim from Redis reported, and the listener's count of changes a claim could find then. */
  nextRunAt: number | null
  claimableAt: number
}
/** Fields per claimed job in claim.lua's reply. */
const CLAIM_FIELDS = 13
/** Jobs inserted per script call (~40 ms of Redis time at most); bigger batches use MULTI. */
const ENQUEUE_CHUNK = 1000
/** Jobs deleted per script call by purge and prune (each call is short; they loop). */
const DELETE_BATCH = 1000
/** Ids looked at per ZSCAN call when finding an id by a fragment (each call is short). */
const ID_SCAN_COUNT = 5000
/** How long a stopping worker waits for its inbox reader to reach the stop mark. */
const STOP_DRAIN_MS = 2000



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
  /** Per worker id that claimed here: its inbox reader, and the jobs it popped not yet claimed. */
  private readonly inboxes = new Map<string, Inbox>()
  private readonly openInbox: () => Redis
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
    this.openInbox = () => openRedis(cfg, { connectionName: 'tq-inbox', commandTimeout: undefined, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false })
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
    // One script call per chunk; several chunks go in one MULTI/EXEC, so the batch stays
    // atomic and in order while no single script runs long enough to make Redis answer BUSY.
    const chunks: (string | number)[][] = []
    for (let from = 0; from < jobs.length; from += ENQUEUE_CHUNK) {
      const part = jobs.slice(from, from + ENQUEUE_CHUNK)
      const args: (string | number)[] = [part.length]
      part.forEach((j, i) => args.push(...jobArgs(j, ids[from + i]!)))
      args.push(...headerArgs(part))
      chunks.push(args)
    }
    const reply = await this.exec(
      'enqueue',
      async () => {
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
    const inbox = this.inboxes.get(req.workerId)
    if (inbox && inbox.handed.length > 0) {
      // Handed to this worker by an enqueue (scripts/handoff-lib.lua.ts): already leased, so no
      // round trip. The next scheduled run is the last claim's, unless something changed since
      // that a claim could find: then a claim from Redis follows at once (the next wait returns).
      const jobs = inbox.handed.splice(0, req.limit)
      for (const j of jobs) inbox.delivered.push(`${j.id}:${j.token}`)
      if (this.listener.claimable !== inbox.claimableAt) this.listener.wake()
      return { jobs, nextRunAt: inbox.nextRunAt }
    }
    const claimableAt = this.listener.claimable
    // Handed jobs returned from the inbox since the last claim: the script stops counting them as on their way.
    const delivered = inbox ? inbox.delivered.splice(0).join(' ') : ''
    const reply = (await this.exec('claim', () => this.script('claim', [req.leaseMs, req.limit, req.workerId, delivered, ...req.queues]))) as (string | number)[]
    const out: ClaimedJob[] = []
    // The last element is the list of jobs the claim expired (see claim.lua).
    const tail = reply[reply.length - 1] as unknown as string[]
    for (let i = 1; i + CLAIM_FIELDS < reply.length; i += CLAIM_FIELDS) out.push(claimedJob(reply, i))
    const expired: { id: string; task: string; queue: string }[] = []
    for (let i = 0; i + 2 < tail.length; i += 3) expired.push({ id: String(tail[i]), task: String(tail[i + 1]), queue: String(tail[i + 2]) })
    // Hand jobs out in claim order across queues, as SQLite does.
    out.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt)
    // The script reports the next run time of these queues' delayed jobs; it matters once drained.
    const nextRunAt = out.length < req.limit && reply[0] !== '' ? Number(reply[0]) : null
    // Slots left: the script parked the worker, so enqueues may hand it jobs; read its inbox.
    const parked = out.length < req.limit ? this.inboxFor(req.workerId) : this.inboxes.get(req.workerId)
    if (parked) (parked.nextRunAt = nextRunAt), (parked.claimableAt = claimableAt)
    return { jobs: out, nextRunAt, ...(expired.length ? { expired } : {}) }
  }

  /** The worker's inbox, its reader started on the first claim that parked it. */
  private inboxFor(workerId: string): Inbox | undefined {
    let inbox = this.inboxes.get(workerId)
    if (!inbox && !this.closed) {
      const handed: ClaimedJob[] = []
      const reader = new InboxReader(this.openInbox(), this.key(`inbox:${workerId}`), (job) => {
        handed.push(job)
        this.listener.wake()
      })
      inbox = { reader, handed, delivered: [], nextRunAt: null, claimableAt: -1 }
      this.inboxes.set(workerId, inbox)
      this.listener.worker = true
    }
    return inbox
  }

  async stopClaiming(workerId: string): Promise<void> {
    const inbox = this.inboxes.get(workerId)
    if (!inbox) return
    this.inboxes.delete(workerId)
    try {
      // No more hand-offs; the stop mark tells the reader it has every job handed before it.
      await this.exec('stop claiming', () => this.script('unpark', [workerId, 'stop']))
      await inbox.reader.drained(STOP_DRAIN_MS)
    } finally {
      await inbox.reader.close()
    }
    const back: (string | number)[] = [workerId, 'release']
    for (const j of inbox.handed.splice(0)) back.push(j.id, j.token)
    if (Number(await this.exec('put back handed jobs', () => this.script('unpark', back), true)) > 0) this.touched()
  }

  async settle(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return []
    const args: (string | number)[] = [outcomes.length]
    for (const o of outcomes) args.push(o.id, o.token, ...outcomeArgs(o))
    const reply = (await this.exec('settle', () => this.script('settle', args))) as number[]
    this.touched()
    return reply.map((r) => Number(r) === 1)
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
    // Ids are not stored in lexical order, so a prefix scans like a suffix does: one ZSCAN pass,
    // filtered by Redis to ids containing the fragment, then here to those starting or ending with it.
    const pattern = `*${fragment.replace(/[*?[\]\\]/g, '\\$&')}*`
    return this.exec(
      'find jobs by id',
      async () => {
        const found = new Set<string>()
        let cursor = '0'
        do {
          const [next, page] = await this.redis.zscan(this.key('jobs'), cursor, 'MATCH', pattern, 'COUNT', ID_SCAN_COUNT)
          cursor = next
          for (let i = 0; i < page.length && found.size < limit; i += 2) {
            const id = page[i]!
            if (id.startsWith(fragment) || id.endsWith(fragment)) found.add(id)
          }
        } while (cursor !== '0' && found.size < limit)
        return [...found]
      },
      true,
    )
  }

  async listJobs(filter: JobFilter): Promise<JobJSON[]> {
    const limit = filter.limit ?? 100
    const offset = Math.max(0, Math.floor(filter.offset ?? 0))
    const rows = (await this.exec('list jobs', () => this.script('listJobs', [filter.state ?? '', filter.queue ?? '', filter.task ?? '', limit, filter.workflowId ?? '', offset]), true)) as string[][]
    return rows.map((r) => toJobJSON(stored(pairs(r))))
  }

  async children(parentId: string): Promise<JobJSON[]> {
    return this.exec(
      'list children',
      async () => {
        const ids = await this.redis.zrange(this.key(`children:${parentId}`), 0, -1)
        return this.readJobs(ids)
      },
      true,
    )
  }

  private async readJobs(ids: readonly string[]): Promise<JobJSON[]> {
    if (ids.length === 0) return []
    const p = this.redis.pipeline()
    for (const id of ids) p.hgetall(this.key(`job:${id}`))
    const rows = pipelineResults(await p.exec()) as Record<string, string>[]
    return rows.filter((h) => h.id !== undefined).map((h) => toJobJSON(stored(h)))
  }

  async counts(): Promise<QueueCounts[]> {
    const rows = (await this.exec('count jobs', () => this.script('counts', []), true)) as (string | number)[][]
    const out: QueueCounts[] = []
    for (const r of rows) {
      const counts = emptyCounts()
      JOB_STATES.forEach((s, i) => (counts[s] = Number(r[2 + i])))
      const paused = Number(r[1]) === 1
      // Like SQLite: a queue shows once it has jobs, or while it is paused.
      if (paused || Object.values(counts).some((n) => n > 0)) out.push({ queue: String(r[0]), paused, counts })
    }
    return out.sort((a, b) => a.queue.localeCompare(b.queue))
  }

  async failedIds(queue?: string): Promise<string[]> {
    return this.exec(
      'list failed jobs',
      async () => {
        // Oldest failure first; every queue's failures share one set. Workflow steps that never
        // ran because an earlier one failed (by_dep), and joins, are resumed by retrying that one.
        const ids = await this.redis.zrange(this.key('finished:failed'), 0, -1)
        if (ids.length === 0) return ids
        const p = this.redis.pipeline()
        for (const id of ids) p.hmget(this.key(`job:${id}`), 'queue', 'by_dep', 'is_join')
        const rows = pipelineResults(await p.exec()) as (string | null)[][]
        return ids.filter((_, i) => (queue === undefined || rows[i]![0] === queue) && rows[i]![1] === null && rows[i]![2] === null)
      },
      true,
    )
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
    return this.exec(
      'list schedules',
      async () => {
        const names = await this.redis.smembers(this.key('schedules'))
        if (names.length === 0) return []
        const p = this.redis.pipeline()
        for (const n of names) p.hgetall(this.key(`schedule:${n}`))
        const rows = pipelineResults(await p.exec()) as Record<string, string>[]
        return rows
          .filter((r) => r.active === '1' && r.name !== undefined)
          .map(scheduleRecord)
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      },
      true,
    )
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
    const rows = (await this.exec('read throughput', () => this.script('throughput', [n]), true)) as string[][]
    const out: Record<string, number[]> = {}
    rows.forEach((r, i) => {
      for (let j = 0; j < r.length; j += 2) (out[r[j]!] ??= new Array<number>(n).fill(0))[i] = Number(r[j + 1])
    })
    return out
  }

  async close(): Promise<void> {
    if (this.closed) return
    // A worker that did not say it stopped (stopClaiming) is stopping now: put back its inbox.
    for (const workerId of [...this.inboxes.keys()]) await this.stopClaiming(workerId).catch(() => undefined)
    this.closed = true
    this.events.close()
    await this.listener.close()
    await this.conn.close()
  }
}
