import { rateInterval } from '../app/rate.js'
import type { ClaimedJob, Outcome, WorkerBroker } from '../broker/types.js'
import type { TaskCatalog } from './manifest.js'

/**
 * Rate-limited tasks: of the jobs just claimed, those beyond what the broker's shared limiter
 * grants now go back to `scheduled` at the time their turn comes (spaced by the interval), so
 * they wait without failing or spinning. Returns the jobs that may run now.
 */
export async function applyRateLimits(
  broker: Pick<WorkerBroker, 'takeRateTokens' | 'settle'>,
  tasks: TaskCatalog,
  jobs: ClaimedJob[],
  onLimited?: (job: ClaimedJob, runAt: number) => void,
): Promise<ClaimedJob[]> {
  // The common case, no job of a rate-limited task: the claim's own array, nothing built.
  if (!jobs.some((job) => tasks.get(job.task)?.options.rateLimit !== undefined)) return jobs
  const limited = new Map<string, ClaimedJob[]>()
  const free: ClaimedJob[] = []
  for (const job of jobs) {
    if (tasks.get(job.task)?.options.rateLimit === undefined) free.push(job)
    else limited.set(job.task, [...(limited.get(job.task) ?? []), job])
  }
  const released: Outcome[] = []
  for (const [task, group] of limited) {
    const interval = rateInterval(tasks.get(task)!.options.rateLimit!)
    let granted = 0
    let nextAt = Date.now() + interval
    try {
      ;({ granted, nextAt } = await broker.takeRateTokens(`task:${task}`, interval, group.length))
    } catch {
      /* limiter unreachable: treat as no token; the jobs come back shortly */
    }
    free.push(...group.slice(0, granted))
    group.slice(granted).forEach((job, i) => {
      const runAt = Math.round(nextAt + i * interval)
      released.push({ id: job.id, token: job.token, kind: 'released', runAt })
      onLimited?.(job, runAt)
    })
  }
  if (released.length > 0) await broker.settle(released).catch(() => undefined)
  return free
}
