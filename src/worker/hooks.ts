import type { JobError, JobJSON } from '../broker/types.js'
import type { HooksConfig, JobHook } from '../app/config.js'
import type { EngineEvent } from './events.js'

export type HookName = 'succeeded' | 'failed' | 'retrying' | 'expired'

/** Which hook an engine event calls, if any. */
export function hookFor(e: EngineEvent): { name: HookName; error?: JobError } | undefined {
  if (e.type === 'succeeded') return { name: 'succeeded' }
  if (e.type === 'expired') return { name: 'expired' }
  if (e.type === 'failed' && e.error.name !== 'CancelledError') return { name: e.retryInMs !== undefined ? 'retrying' : 'failed', error: e.error }
  return undefined
}

/**
 * Runs the config's hooks (`hooks: { succeeded, failed, retrying, expired }`) in the worker
 * process, after the job's outcome is saved, off the engine's path: the engine hands the event
 * over and moves on. A hook gets the job's JSON as stored, read once per call; a hook that throws
 * is logged in one line; one that does not settle within the timeout is abandoned (and logged),
 * so neither delays nor fails a job.
 */
export class HookRunner {
  private readonly inFlight = new Set<Promise<void>>()

  constructor(
    private readonly hooks: HooksConfig,
    private readonly getJob: (id: string) => Promise<JobJSON | null>,
    private readonly timeoutMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Whether any hook is set (otherwise the runner is not even created). */
  static wanted(hooks: HooksConfig | undefined): boolean {
    return !!hooks && (['succeeded', 'failed', 'retrying', 'expired'] as const).some((k) => typeof hooks[k] === 'function')
  }

  onEvent(e: EngineEvent): void {
    const which = hookFor(e)
    if (!which) return
    const hook = this.hooks[which.name]
    if (typeof hook !== 'function') return
    const run = this.call(hook, which.name, e.job.id, which.error, 'attempt' in e.job ? e.job.attempt : 0)
    this.inFlight.add(run)
    void run.finally(() => this.inFlight.delete(run))
  }

  private async call(hook: JobHook, name: HookName, id: string, error: JobError | undefined, attempt: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs)))
    try {
      // The read is inside the bound too: a broker that hangs must not hold the hook forever.
      const work = (async () => {
        const read = await this.getJob(id)
        // A job being retried may be running its next attempt by the time it is read: the hook
        // sees it as the retry left it, waiting for the attempt after this one.
        const job = read && name === 'retrying' ? { ...read, state: 'scheduled' as const, attempt, startedAt: null } : read
        if (job) await hook(job, error)
      })()
      const outcome = await Promise.race([work, timeout])
      if (outcome === 'timeout') this.log(`hook ${name} for job ${id} did not finish within ${this.timeoutMs} ms; abandoned`)
    } catch (err) {
      this.log(`hook ${name} for job ${id} threw: ${String((err as Error)?.stack?.split('\n')[0] ?? err).slice(0, 500)}`)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Waits for running hooks (each bounded by the timeout): on stop, so a last Slack message goes out. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight])
  }
}
