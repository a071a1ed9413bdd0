import type { EngineBroker, EngineOptions } from './engine-options.js'
import type { TaskCatalog } from './manifest.js'
import type { PoolHooks } from './pool.js'
import type { Running } from './running.js'

/**
 * What an engine does with what its task threads report besides outcomes: progress (stored,
 * fenced by the job's token), log lines, jobs blocking their thread, and children a task
 * enqueues (through the same broker, so they are durable when ctx.enqueue resolves).
 */
export function engineHooks(e: {
  broker: Pick<EngineBroker, 'progress' | 'enqueue'>
  running: ReadonlyMap<string, Running>
  /** The current catalog (it changes with hot reload). */
  tasks: () => TaskCatalog
  onEvent: EngineOptions['onEvent']
}): PoolHooks {
  return {
    onProgress: (id, value) => {
      const r = e.running.get(id)
      if (r) void e.broker.progress(id, r.job.token, value).catch(() => undefined)
      if (r) e.onEvent?.({ type: 'progress', job: r.job, value })
    },
    onBlocked: (ids, ms) => {
      // A task with a timeout is stopped by it; one without can hold its thread for good, so say so.
      for (const id of ids) {
        const r = e.running.get(id)
        if (!r || e.tasks().get(r.job.task)?.options.timeout !== undefined) continue
        r.blockedAt ??= Date.now() - ms
        e.onEvent?.({ type: 'blocked', job: r.job, ms })
      }
    },
    onLog: (id, line) => {
      const r = e.running.get(id)
      if (r) e.onEvent?.({ type: 'log', job: r.job, line })
    },
    onEnqueue: async (job) => {
      const [res] = await e.broker.enqueue([job])
      return res!.id
    },
  }
}
