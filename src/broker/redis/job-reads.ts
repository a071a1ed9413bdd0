import type { Redis } from 'ioredis'
import { emptyCounts, toJobJSON } from '../job-json.js'
import { JOB_STATES, type JobJSON, type QueueCounts, type ScheduleRecord } from '../types.js'
import { pipelineResults, scheduleRecord, stored } from './codec.js'

/** Ids looked at per ZSCAN call when finding an id by a fragment (each call is short). */
const ID_SCAN_COUNT = 5000

/**
 * Reads of the Redis broker that need no script: plain commands and pipelines over the key
 * layout of ./README.md. `keyOf(name)` is the broker's key for `name` (its prefix and base).
 */
type KeyOf = (name: string) => string

/**
 * Up to `limit` ids that start or end with `fragment`. Ids are not stored in lexical order, so a
 * prefix scans like a suffix does: one ZSCAN pass, filtered by Redis to ids containing the
 * fragment, then here to those starting or ending with it.
 */
export async function scanJobIds(redis: Redis, jobsKey: string, fragment: string, limit: number): Promise<string[]> {
  const pattern = `*${fragment.replace(/[*?[\]\\]/g, '\\$&')}*`
  const found = new Set<string>()
  let cursor = '0'
  do {
    const [next, page] = await redis.zscan(jobsKey, cursor, 'MATCH', pattern, 'COUNT', ID_SCAN_COUNT)
    cursor = next
    for (let i = 0; i < page.length && found.size < limit; i += 2) {
      const id = page[i]!
      if (id.startsWith(fragment) || id.endsWith(fragment)) found.add(id)
    }
  } while (cursor !== '0' && found.size < limit)
  return [...found]
}

/** The jobs of these ids that exist, in one pipeline. */
export async function readJobs(redis: Redis, keyOf: KeyOf, ids: readonly string[]): Promise<JobJSON[]> {
  if (ids.length === 0) return []
  const p = redis.pipeline()
  for (const id of ids) p.hgetall(keyOf(`job:${id}`))
  const rows = pipelineResults(await p.exec()) as Record<string, string>[]
  return rows.filter((h) => h.id !== undefined).map((h) => toJobJSON(stored(h)))
}

/**
 * Failed jobs' ids, oldest failure first (every queue's failures share one set), of one queue or
 * all. Workflow steps that never ran because an earlier one failed (by_dep), and joins, are left
 * out: retrying that earlier step resumes them.
 */
export async function failedJobIds(redis: Redis, keyOf: KeyOf, queue?: string): Promise<string[]> {
  const ids = await redis.zrange(keyOf('finished:failed'), 0, -1)
  if (ids.length === 0) return ids
  const p = redis.pipeline()
  for (const id of ids) p.hmget(keyOf(`job:${id}`), 'queue', 'by_dep', 'is_join')
  const rows = pipelineResults(await p.exec()) as (string | null)[][]
  return ids.filter((_, i) => (queue === undefined || rows[i]![0] === queue) && rows[i]![1] === null && rows[i]![2] === null)
}

/** counts.lua's rows as QueueCounts: like SQLite, a queue shows once it has jobs, or while it is paused. */
export function queueCounts(rows: (string | number)[][]): QueueCounts[] {
  const out: QueueCounts[] = []
  for (const r of rows) {
    const counts = emptyCounts()
    JOB_STATES.forEach((s, i) => (counts[s] = Number(r[2 + i])))
    const paused = Number(r[1]) === 1
    if (paused || Object.values(counts).some((n) => n > 0)) out.push({ queue: String(r[0]), paused, counts })
  }
  return out.sort((a, b) => a.queue.localeCompare(b.queue))
}

/** The active schedules, by name. */
export async function readSchedules(redis: Redis, keyOf: KeyOf): Promise<ScheduleRecord[]> {
  const names = await redis.smembers(keyOf('schedules'))
  if (names.length === 0) return []
  const p = redis.pipeline()
  for (const n of names) p.hgetall(keyOf(`schedule:${n}`))
  const rows = pipelineResults(await p.exec()) as Record<string, string>[]
  return rows
    .filter((r) => r.active === '1' && r.name !== undefined)
    .map(scheduleRecord)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** throughput.lua's rows (one a second, oldest first: queue, count pairs) as counts per queue. */
export function throughputByQueue(rows: string[][], seconds: number): Record<string, number[]> {
  const out: Record<string, number[]> = {}
  rows.forEach((r, i) => {
    for (let j = 0; j < r.length; j += 2) (out[r[j]!] ??= new Array<number>(seconds).fill(0))[i] = Number(r[j + 1])
  })
  return out
}
