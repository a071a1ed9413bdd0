/**
 * The Postgres broker (node-postgres): the Broker interface over plain SQL (./sql.ts) and a few
 * server-side functions for the hot paths (./functions.ts), in tq's own schema (./migrations.ts,
 * migrated by ./migrate.ts), with LISTEN/NOTIFY wake-ups (./change-listener.ts) and a pool with
 * bounded waits (./connection.ts); one-job enqueues go to parked workers (./hand-off.ts).
 * Workflow steps end in the client's transactions (./workflow-steps.ts). Layout, costs: ./README.md.
 */
import { UsageError } from '../../errors.js'
import { newJobId } from '../job-id.js'
import { emptyCounts, toJobJSON, type StoredJob } from '../job-json.js'
import type {
  Broker,
  CancelResult,
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
  TqEvent,
  WorkerInfo,
} from '../types.js'
import { readClaimRows, readSettled } from './claim-rows.js'
import { ChangeListener } from './change-listener.js'
import { HandedJobs } from './handed-jobs.js'
import { PgEventChannel } from './event-channel.js'
import { PgConnection, type Db } from './connection.js'
import { insertBatch } from './enqueue-batch.js'
import { enqueueParams, settleParams, wholeMs } from './job-params.js'
import { listQuery } from './job-listing.js'
import { migrate } from './migrate.js'
import { channelFor, sqlFor, type Statements } from './sql.js'
import { parsePostgresUrl, type PostgresUrlConfig } from './url.js'
import { cancelJobs, retryJobs } from './job-admin.js'
import { deletedSteps, endedJobs } from './workflow-steps.js'

export interface PostgresOpenOptions {
  /** Connections that do not keep the process alive while idle (the default client). */
  background?: boolean
  /** Refuse to create tq's schema when it is missing (commands that only read or change jobs). */
  mustExist?: boolean
}

export class PostgresBroker implements Broker {
  readonly describe: string
  readonly schema: string
  private readonly conn: PgConnection
  private readonly s: Statements
  private readonly listener: ChangeListener
  private readonly events: PgEventChannel
  private readonly handed = new HandedJobs() // jobs handed to this broker's parked workers
  private closed = false

  /** Connects, brings tq's schema to the current version, and returns the broker (or throws a BrokerError). */
  static async connect(url: string, opts: PostgresOpenOptions = {}): Promise<PostgresBroker> {
    const cfg = { ...parsePostgresUrl(url), background: opts.background }
    const broker = new PostgresBroker(cfg)
    try {
      await broker.conn.exec('open the tq schema', (db) => migrate(db, cfg.schema, { mustExist: opts.mustExist, describe: cfg.describe }), true)
    } catch (err) {
      await broker.close()
      throw err
    }
    return broker
  }

  private constructor(cfg: PostgresUrlConfig) {
    this.describe = cfg.describe
    this.schema = cfg.schema
    this.s = sqlFor(cfg.schema)
    this.conn = new PgConnection(cfg, cfg.describe, preparedNames(this.s))
    this.listener = new ChangeListener(cfg, channelFor(cfg.schema), (p) => this.handed.arrived(p), () => this.handed.reconnected())
    this.events = new PgEventChannel(cfg, (what, fn) => this.conn.exec(what, fn), this.s.publishEvents)
  }

  // ---- live events (./event-channel.ts) -----------------------------------------------

  publishEvents(events: readonly TqEvent[]): Promise<boolean> {
    return this.events.publish(events)
  }

  subscribeEvents(onEvents: (events: TqEvent[]) => void, signal: AbortSignal): Promise<void> {
    return this.events.subscribe(onEvents, signal)
  }

  /** Connections this broker may hold: the pool's limit, plus one for LISTEN once something waits. */
  get poolSize(): number {
    return this.conn.pool.options.max ?? 0
  }

  private exec<T>(what: string, fn: (db: Db) => Promise<T>, retry = false): Promise<T> {
    return this.conn.exec(what, fn, retry)
  }

  private tx<T>(what: string, fn: (db: Db) => Promise<T>, retry = false): Promise<T> {
    return this.conn.tx(what, fn, retry)
  }

  // ---- producing -----------------------------------------------------------------------

  async enqueue(jobs: readonly NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return []
    // Ids are chosen here, so a call retried after a dropped connection finds its own jobs.
    for (const j of jobs) if (j.id !== undefined) checkId(j.id)
    const now = Date.now()
    const ids = jobs.map((j) => j.id ?? newJobId(now))
    const params = enqueueParams(jobs, ids)
    // Random ids and no keys cannot conflict the first time they are sent; a retry may find its own rows.
    let first = jobs.every((j) => j.id === undefined && j.key == null)
    return this.exec(
      'enqueue',
      (db) => {
        const plain = first
        first = false
        return insertBatch(db, this.s, jobs, ids, params, plain)
      },
      true,
    )
  }

  async enqueueSlot(schedule: string, slotAt: number, job: NewJob & { id: string }): Promise<EnqueueResult> {
    checkId(job.id)
    const { rows } = await this.exec(
      'enqueue a schedule slot',
      (db) =>
        db.query<{ created: number }>(this.s.enqueueSlot, [
          job.id, job.task, job.queue, job.payload, job.priority, job.maxAttempts, wholeMs(job.runAt), job.key ?? null, job.parentId ?? null, wholeMs(job.expiresAt), schedule, wholeMs(slotAt), job.headers ?? null,
        ]),
      true,
    )
    return { id: job.id, created: rows[0]!.created === 1 }
  }

  // ---- working -------------------------------------------------------------------------

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    if (req.limit <= 0 || req.queues.length === 0) return { jobs: [], nextRunAt: null }
    const inbox = this.handed.take(req.workerId, req.limit)
    // Handed to this worker by an enqueue (./hand-off.ts): already leased, so no round trip.
    if (inbox) return { jobs: inbox.jobs, nextRunAt: inbox.jobs.length < req.limit ? inbox.nextRunAt : null }
    // Parked (slots left) only while LISTEN is in place, so that no hand-off goes unheard.
    const park = this.listener.listening && !this.closed
    const rows = await this.handed.fromDatabase(req.workerId, park, (delivered) =>
      this.exec('claim', (db) => db.values<[string]>(this.s.claimOrPark, [req.workerId, req.queues, req.limit, req.leaseMs, park, delivered])),
    )
    const { jobs: all, expired, deferred: expiredSteps, nextRunAt, handed } = readClaimRows(rows)
    const out = all.length > req.limit ? all.slice(0, req.limit) : all // more handed than asked (a hot reload): kept
    this.handed.claimed(req.workerId, park, nextRunAt, handed, all.slice(req.limit))
    // Past their deadline and waited for by other steps: expired with their cascade, in one transaction.
    if (expiredSteps.length > 0) {
      const ended = await this.tx('expire workflow steps', async (db) => {
        const rows = (await db.query<{ id: string; task: string; queue: string }>(this.s.expireDeferred, [expiredSteps])).rows
        await endedJobs(db, this.s, rows.map((r) => r.id))
        await db.query(this.s.notify)
        return rows
      })
      expired.push(...ended)
    } else if (expired.length > 0) await this.exec('notify', (db) => db.query(this.s.notify), true)
    // Hand jobs out in claim order across queues, as the other brokers do.
    out.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt)
    return { jobs: out, nextRunAt: out.length < req.limit ? nextRunAt : null, ...(expired.length > 0 ? { expired } : {}) }
  }

  async settle(outcomes: readonly Outcome[]): Promise<boolean[]> {
    if (outcomes.length === 0) return []
    // Fast path, one statement: every outcome except those ending a workflow step others wait for.
    const [[answer]] = await this.exec('settle', (db) => db.values<[string | null]>(this.s.settle, settleParams(outcomes)))
    const { accepted, deferred } = readSettled(answer, outcomes.length)
    if (deferred.length > 0) {
      // Those end in one transaction with what they start or end downstream (../workflow.ts).
      const slow = deferred.map((i) => outcomes[i]!)
      const done = await this.tx('settle workflow steps', async (db) => {
        const r = (await db.query<{ ord: number; id: string; state: string }>(this.s.settleSteps, settleParams(slow))).rows
        await endedJobs(db, this.s, r.filter((x) => x.state === 'succeeded' || x.state === 'failed' || x.state === 'cancelled').map((x) => x.id))
        return r.map((x) => x.ord - 1)
      })
      for (const i of done) accepted[deferred[i]!] = true
    }
    return accepted
  }

  async renew(leases: readonly { id: string; token: number }[], leaseMs: number): Promise<RenewResult> {
    // Jobs handed to a worker that no claim has returned yet are held under a lease too.
    const all = [...leases, ...this.handed.leases()]
    if (all.length === 0) return { lost: [], cancelRequested: [] }
    const { rows } = await this.exec(
      'renew leases',
      (db) => db.query<{ id: string; cancel_requested: boolean }>(this.s.renew, [all.map((l) => l.id), all.map((l) => l.token), leaseMs]),
      true,
    )
    const held = new Set(rows.map((r) => r.id))
    this.handed.lost(all.slice(leases.length).filter((l) => !held.has(l.id)))
    return { lost: leases.filter((l) => !held.has(l.id)).map((l) => l.id), cancelRequested: rows.filter((r) => r.cancel_requested).map((r) => r.id) }
  }

  /** No more hand-offs to this worker; those handed and not given go back to the queue (S.unpark). */
  async stopClaiming(workerId: string): Promise<void> {
    const stopped = this.handed.stop(workerId)
    if (!stopped) return
    await this.exec('stop claiming', (db) => db.query(this.s.unpark, [workerId, stopped.delivered]), true)
    if (stopped.waiting.length > 0) await this.settle(stopped.waiting.map((j) => ({ id: j.id, token: j.token, kind: 'released' as const })))
  }

  async recoverExpired(): Promise<number> {
    const { rows } = await this.exec('recover expired leases', (db) => db.query<{ n: number }>(this.s.recoverExpired))
    return rows[0]!.n
  }

  async progress(id: string, token: number, progress: string): Promise<boolean> {
    const { rows } = await this.exec('store progress', (db) => db.query<{ n: number }>(this.s.progress, [id, token, progress]), true)
    return rows[0]!.n === 1
  }

  waitForChange(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.listener.wait(timeoutMs, signal)
  }

  async takeRateTokens(key: string, intervalMs: number, n: number): Promise<{ granted: number; nextAt: number }> {
    const { rows } = await this.exec('take rate tokens', (db) => db.query<{ granted: number; next_at: number }>(this.s.takeRateTokens, [key, intervalMs, Math.max(0, n)]))
    return { granted: rows[0]!.granted, nextAt: rows[0]!.next_at }
  }

  // ---- reading -------------------------------------------------------------------------

  async getJob(id: string): Promise<JobJSON | null> {
    const { rows } = await this.exec('read a job', (db) => db.query<StoredJob>(this.s.getJob, [id]), true)
    return rows[0] ? toJobJSON(rows[0]) : null
  }

  async findJobIds(fragment: string, limit: number): Promise<string[]> {
    if (fragment === '' || limit <= 0) return []
    // The ids starting with the fragment sort between it and the fragment with its last character bumped.
    const to = fragment.slice(0, -1) + String.fromCharCode(fragment.charCodeAt(fragment.length - 1) + 1)
    return this.exec(
      'find jobs by id',
      async (db) => {
        const found = new Set((await db.query<{ id: string }>(this.s.idsInRange, [fragment, to, limit])).rows.map((r) => r.id))
        if (found.size < limit) for (const r of (await db.query<{ id: string }>(this.s.idsEndingWith, [fragment, limit])).rows) if (found.size < limit) found.add(r.id)
        return [...found]
      },
      true,
    )
  }

  async listJobs(filter: JobFilter): Promise<JobJSON[]> {
    const { sql, params } = listQuery(this.schema, filter)
    const { rows } = await this.exec('list jobs', (db) => db.query<StoredJob>(sql, params), true)
    return rows.map(toJobJSON)
  }

  async children(parentId: string): Promise<JobJSON[]> {
    const { rows } = await this.exec('list children', (db) => db.query<StoredJob>(this.s.children, [parentId]), true)
    return rows.map(toJobJSON)
  }

  async counts(): Promise<QueueCounts[]> {
    const [counts, queues] = await this.exec(
      'count jobs',
      async (db) => [(await db.query<{ queue: string; state: JobState; n: number }>(this.s.counts)).rows, (await db.query<{ name: string; paused: boolean }>(this.s.queues)).rows] as const,
      true,
    )
    const byQueue = new Map<string, QueueCounts>()
    const get = (queue: string) => {
      let q = byQueue.get(queue)
      if (!q) byQueue.set(queue, (q = { queue, paused: false, counts: emptyCounts() }))
      return q
    }
    for (const r of counts) get(r.queue).counts[r.state] = r.n
    for (const r of queues) get(r.name).paused = r.paused
    return [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue))
  }

  async failedIds(queue?: string): Promise<string[]> {
    const { rows } = await this.exec('list failed jobs', (db) => db.query<{ id: string }>(this.s.failedIds, [queue ?? null]), true)
    return rows.map((r) => r.id)
  }

  // ---- managing ------------------------------------------------------------------------

  async cancel(ids: readonly string[]): Promise<CancelResult> {
    if (ids.length === 0) return { cancelled: [], aborting: [] }
    return this.tx('cancel', (db) => cancelJobs(db, this.s, ids), true)
  }

  async retry(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return []
    return this.tx('retry', (db) => retryJobs(db, this.s, ids), true)
  }

  async purge(filter: { queue?: string; state?: JobState }): Promise<number> {
    return this.tx(
      'purge',
      async (db) => {
        const { n, released } = (await db.query<{ n: number; released: string[] }>(this.s.purge, [filter.queue ?? null, filter.state ?? null])).rows[0]!
        if (released.length > 0) {
          await deletedSteps(db, this.s, released)
          await db.query(this.s.notify)
        }
        return n
      },
      true,
    )
  }

  async pause(queue: string): Promise<void> {
    await this.exec('pause', (db) => db.query(this.s.setPaused, [queue, true]), true)
  }

  async resume(queue: string): Promise<void> {
    await this.tx('resume', async (db) => {
      await db.query(this.s.setPaused, [queue, false])
      await db.query(this.s.notify)
    }, true)
  }

  // ---- beat ----------------------------------------------------------------------------

  async saveSchedules(schedules: readonly Omit<ScheduleRecord, 'lastSlotAt' | 'lastJobId'>[]): Promise<void> {
    const col = <K extends keyof (typeof schedules)[number]>(k: K) => schedules.map((s) => s[k])
    await this.exec('save schedules', (db) => db.query(this.s.saveSchedules, [col('name'), col('task'), col('expression'), col('tz'), col('nextAt')]), true)
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    const { rows } = await this.exec('list schedules', (db) => db.query<Record<string, any>>(this.s.listSchedules), true)
    return rows.map((r) => ({ name: r.name, task: r.task, expression: r.expression, tz: r.tz, nextAt: r.next_at, lastSlotAt: r.last_slot_at, lastJobId: r.last_job_id }))
  }

  // ---- workers -------------------------------------------------------------------------

  async heartbeat(info: WorkerInfo, reapAfterMs = 0): Promise<ReapedWorker[]> {
    const { rows } = await this.exec('record a heartbeat', (db) => db.query<{ info: string; requeued: number }>(this.s.heartbeat, [info.id, JSON.stringify(info), reapAfterMs]), true)
    return rows.map((r) => ({ worker: JSON.parse(r.info) as WorkerInfo, requeued: r.requeued }))
  }

  async listWorkers(): Promise<WorkerInfo[]> {
    const { rows } = await this.exec('list workers', (db) => db.query<{ info: string }>(this.s.listWorkers), true)
    return rows.map((r) => JSON.parse(r.info) as WorkerInfo)
  }

  async removeWorker(id: string): Promise<void> {
    await this.exec('remove a worker', (db) => db.query(this.s.removeWorker, [id]), true)
  }

  // ---- retention -----------------------------------------------------------------------

  async prune(req: PruneRequest): Promise<number> {
    return this.exec(
      'prune',
      async (db) => {
        let n = 0
        if (req.finishedBefore !== undefined) n += (await db.query<{ n: number }>(this.s.pruneFinished, [req.finishedBefore])).rows[0]!.n
        if (req.failedBefore !== undefined) n += (await db.query<{ n: number }>(this.s.pruneFailed, [req.failedBefore])).rows[0]!.n
        await db.query(this.s.expireResults)
        return n
      },
      true,
    )
  }

  async throughput(seconds: number): Promise<Record<string, number[]>> {
    const n = Math.floor(seconds)
    if (!(n > 0)) return {}
    const { rows } = await this.exec('read throughput', (db) => db.query<{ queue: string; slot: number; n: number }>(this.s.throughput, [n]), true)
    const out: Record<string, number[]> = {}
    for (const r of rows) if (r.slot >= 0 && r.slot < n) (out[r.queue] ??= new Array<number>(n).fill(0))[r.slot] = r.n
    return out
  }

  async close(): Promise<void> {
    if (this.closed) return
    for (const w of this.handed.workerIds) await this.stopClaiming(w).catch(() => undefined)
    this.closed = true
    this.events.close()
    await this.listener.close()
    await this.conn.close()
  }
}

/** The statements worth preparing once per connection: the hot paths, whose text never varies. */
const PREPARED = ['enqueue', 'enqueueOrSkip', 'enqueueHandOff', 'claimOrPark', 'settle', 'renew', 'recoverExpired', 'progress', 'heartbeat', 'getJob', 'takeRateTokens', 'wfNext'] as const
function preparedNames(s: Statements): Map<string, string> {
  return new Map(PREPARED.map((k) => [s[k], `tq_${k}`]))
}

/**
 * A job id chosen by the caller (schedule slots, workflow steps) must hold no control character:
 * ids are joined by U+001F in a workflow step's `next` and in the claim's answer (./claim-rows.ts).
 * tq's own ids never do; this stops a schedule named with one before it could be misread.
 */
function checkId(id: string): void {
  if (/[\u0000-\u001f]/.test(id)) throw new UsageError(`job id ${JSON.stringify(id)} holds a control character`, 'use printable characters in schedule names and job ids')
}
