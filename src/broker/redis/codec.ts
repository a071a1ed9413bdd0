/** Converting between the Broker interface's values and the Redis scripts' arguments and replies. */
import { BrokerError } from '../../errors.js'
import { claimedFromFields, FIELD_SEPARATOR } from '../packed-job.js'
import type { StoredJob } from '../job-json.js'
import type { ClaimedJob, NewJob, Outcome, ReapedWorker, ScheduleRecord, WorkerInfo, WorkflowStep } from '../types.js'

/** The field separator of packed arguments and replies (settle.lua, claim.lua's `packed_job`). */
const SEP = FIELD_SEPARATOR

export const str = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : String(v))

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/**
 * The 11 fields of one job (enqueue.lua, enqueue-slot.lua). A unique key is the one field a user
 * writes freely: a lone surrogate in it would make Redis's JSON decoder refuse the whole batch, so
 * it is stored as UTF-8 stores it anyway (U+FFFD).
 */
export function jobArgs(j: NewJob, id: string): (string | number)[] {
  return [id, j.task, j.queue, j.payload, j.priority, j.runAt, j.maxAttempts, j.key == null ? '' : j.key.replace(LONE_SURROGATE, '\uFFFD'), str(j.parentId), str(j.expiresAt), stepArg(j.step)]
}

/** A workflow step as lib.lua's insert_job reads it: JSON lists travel as text, stored as they are. */
function stepArg(step: WorkflowStep | undefined): string {
  if (!step) return ''
  return JSON.stringify({
    w: step.workflowId,
    d: JSON.stringify(step.dependsOn),
    n: step.next.length ? JSON.stringify(step.next) : '',
    i: step.input ? JSON.stringify(step.input) : '',
    f: step.onDepFailure,
    j: step.join ? 1 : 0,
    y: step.delayMs ?? 0,
    p: step.dependsOn.length,
  })
}

/** The kind and 2 ARGV fields of one outcome (settle.lua). */
export function outcomeArgs(o: Outcome): [string, string, string] {
  switch (o.kind) {
    case 'succeeded':
      return ['succeeded', str(o.result), str(o.resultExpiresAt)]
    case 'failed':
      return ['failed', JSON.stringify(o.error), str(o.retryAt)]
    case 'retry':
      return ['retry', str(o.runAt), '']
    case 'released':
      return ['released', str(o.runAt), '']
    case 'cancelled':
      return ['cancelled', o.error ? JSON.stringify(o.error) : '', '']
    default:
      throw new BrokerError(`unknown outcome kind "${(o as { kind: string }).kind}"`)
  }
}

/**
 * settle.lua's arguments: the outcomes with 5 fields each, then the successes that have no result
 * and no result lifetime packed into one string of 'id\x1ftoken\x1f' pairs (the common case of a
 * drain: 2 strings a job for the script to make instead of 5 arguments to send and receive).
 * `order[k]` is the index in `outcomes` of the k-th result the script returns.
 */
export function settleArgs(outcomes: readonly Outcome[]): { args: (string | number)[]; order: number[] } {
  const args: (string | number)[] = [0]
  const order: number[] = []
  const plain: number[] = []
  let packed = ''
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!
    if (o.kind === 'succeeded' && o.result === undefined && o.resultExpiresAt === undefined && !o.id.includes(SEP)) {
      packed += o.id + SEP + o.token + SEP
      plain.push(i)
    } else {
      args.push(o.id, o.token, ...outcomeArgs(o))
      order.push(i)
    }
  }
  args[0] = order.length
  if (packed !== '') args.push(packed)
  for (const i of plain) order.push(i)
  return { args, order }
}

/** A job handed through a worker's inbox (handoff-lib.lua: a JSON array, these 13 fields in order). */
export function claimedJob(r: (string | number)[], i: number): ClaimedJob {
  return {
    id: String(r[i]),
    task: String(r[i + 1]),
    queue: String(r[i + 2]),
    payload: String(r[i + 3]),
    attempt: Number(r[i + 4]),
    maxAttempts: Number(r[i + 5]),
    token: Number(r[i + 6]),
    priority: Number(r[i + 7]),
    runAt: Number(r[i + 8]),
    createdAt: Number(r[i + 9]),
    parentId: r[i + 10] === '' ? null : String(r[i + 10]),
    workflowId: r[i + 11] === '' ? null : String(r[i + 11]),
    headers: r[i + 12] === '' ? null : String(r[i + 12]),
  }
}

/** enqueue.lua's headers section: how many jobs carry headers, then (index, headers) pairs. */
export function headerArgs(jobs: readonly NewJob[]): (string | number)[] {
  const out: (string | number)[] = [0]
  jobs.forEach((j, i) => {
    if (j.headers !== undefined) out.push(i, j.headers)
  })
  out[0] = (out.length - 1) / 2
  return out
}

/** A job hash as StoredJob (missing fields are null; toJobJSON converts the numbers). */
export function stored(h: Record<string, string>): StoredJob {
  const v = (k: string) => h[k] ?? null
  return {
    id: h.id!,
    task: h.task ?? '',
    queue: h.queue ?? '',
    state: h.state ?? '',
    payload: h.payload ?? 'null',
    priority: Number(h.priority ?? 0),
    attempt: Number(h.attempt ?? 0),
    max_attempts: Number(h.max_attempts ?? 1),
    created_at: Number(h.created_at),
    run_at: Number(h.run_at),
    started_at: h.started_at === undefined ? null : Number(h.started_at),
    finished_at: h.finished_at === undefined ? null : Number(h.finished_at),
    result: v('result'),
    error: v('error'),
    errors: v('errors'),
    progress: v('progress'),
    parent_id: v('parent_id'),
    key: v('key'),
    workflow_id: v('workflow_id'),
    depends_on: v('depends_on'),
    headers: v('headers'),
  }
}

/** An HGETALL array reply ([field, value, ...]) as an object. */
export function pairs(r: string[]): Record<string, string> {
  const o: Record<string, string> = {}
  for (let i = 0; i + 1 < r.length; i += 2) o[r[i]!] = r[i + 1]!
  return o
}

/** A pipeline's replies, or its first error thrown. */
export function pipelineResults(res: [Error | null, unknown][] | null): unknown[] {
  if (!res) throw new Error('Connection is closed.')
  return res.map(([err, v]) => {
    if (err) throw err
    return v
  })
}

export function firstLine(err: Error): string {
  return String(err.message ?? err).split('\n')[0]!
}

/** A schedule hash (`<base>schedule:<name>`) as a ScheduleRecord. */
export function scheduleRecord(r: Record<string, string>): ScheduleRecord {
  const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v))
  return {
    name: r.name!,
    task: r.task ?? '',
    expression: r.expression ?? '',
    tz: r.tz ?? '',
    nextAt: num(r.next_at),
    lastSlotAt: num(r.last_slot_at),
    lastJobId: r.last_job_id ?? null,
  }
}

/** heartbeat.lua's reply: a reaped worker's record (JSON, '' if gone) and its jobs requeued, in pairs. */
export function reapedWorkers(reply: readonly (string | number)[]): ReapedWorker[] {
  const out: ReapedWorker[] = []
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const worker = reply[i]
      ? (JSON.parse(String(reply[i])) as WorkerInfo)
      : { id: '?', host: '?', pid: 0, queues: [], concurrency: 0, running: [], startedAt: 0, lastBeatAt: 0 }
    out.push({ worker, requeued: Number(reply[i + 1]) })
  }
  return out
}

/**
 * enqueue.lua's arguments for `jobs` with these ids, `size` jobs a call at most. `fresh`: every id
 * was drawn for this call and this is its first attempt (the script then looks none of them up).
 */
export function enqueueChunks(jobs: readonly NewJob[], ids: readonly string[], size: number, fresh = false): (string | number)[][] {
  const chunks: (string | number)[][] = []
  for (let from = 0; from < jobs.length; from += size) {
    const part = jobs.slice(from, from + size)
    const args: (string | number)[] = [JSON.stringify(part.map((j, i) => jobArgs(j, ids[from + i]!)))]
    args.push(...headerArgs(part), fresh ? '1' : '0')
    chunks.push(args)
  }
  return chunks
}

/** One claimed job as claim.lua packs it: 12 fields joined by SEP, then the payload (the rest). */
export function packedClaimedJob(s: string): ClaimedJob {
  const f: string[] = new Array(12)
  let at = 0
  for (let k = 0; k < 12; k++) {
    const end = s.indexOf(SEP, at)
    if (end < 0) throw new BrokerError('tq: a claimed job came back from Redis cut short', 'check that every tq process runs the same version')
    f[k] = s.slice(at, end)
    at = end + 1
  }
  return claimedFromFields(f, s.slice(at))
}

/**
 * claim.lua's reply: the next run time of the queues' delayed jobs, one packed string per job,
 * then the list of jobs the claim expired. Jobs come out in claim order across queues, as on SQLite.
 */
export function claimReply(reply: (string | number)[], limit: number): { jobs: ClaimedJob[]; expired: { id: string; task: string; queue: string }[]; nextRunAt: number | null } {
  const jobs: ClaimedJob[] = []
  const tail = reply[reply.length - 1] as unknown as string[]
  for (let i = 1; i < reply.length - 1; i++) jobs.push(packedClaimedJob(String(reply[i])))
  const expired: { id: string; task: string; queue: string }[] = []
  for (let i = 0; i + 2 < tail.length; i += 3) expired.push({ id: String(tail[i]), task: String(tail[i + 1]), queue: String(tail[i + 2]) })
  jobs.sort((a, b) => b.priority - a.priority || a.runAt - b.runAt)
  // The next run time matters once drained (fewer jobs than asked for).
  const nextRunAt = jobs.length < limit && reply[0] !== '' ? Number(reply[0]) : null
  return { jobs, expired, nextRunAt }
}
