import type { TqEvent } from '../broker/types.js'
import type { EngineEvent } from './events.js'

/** The live event (`tq events`) an engine event stands for, if any. */
export function liveEvent(e: EngineEvent, worker: string, at = Date.now()): TqEvent | undefined {
  const j = e.job
  switch (e.type) {
    case 'started':
      return { type: 'started', at, id: j.id, task: j.task, queue: j.queue, attempt: e.job.attempt, worker }
    case 'progress': {
      let progress: unknown = null
      try {
        progress = JSON.parse(e.value)
      } catch {
        /* stored as given */
      }
      return { type: 'progress', at, id: j.id, task: j.task, queue: j.queue, attempt: e.job.attempt, worker, progress }
    }
    case 'succeeded':
      return { type: 'succeeded', at, id: j.id, task: j.task, queue: j.queue, attempt: e.job.attempt, worker, ms: Math.round(e.ms * 100) / 100 }
    case 'failed': {
      const error = { name: e.error.name, message: e.error.message.slice(0, 2000) }
      const type = e.error.name === 'CancelledError' ? 'cancelled' : e.retryInMs !== undefined ? 'retried' : 'failed'
      const retryAt = e.retryInMs !== undefined ? at + e.retryInMs : undefined
      return { type, at, id: j.id, task: j.task, queue: j.queue, attempt: e.job.attempt, worker, ms: Math.round(e.ms * 100) / 100, error, ...(retryAt !== undefined ? { retryAt } : {}) }
    }
    case 'expired':
      return { type: 'expired', at, id: j.id, task: j.task, queue: j.queue, worker }
    default:
      return undefined
  }
}
