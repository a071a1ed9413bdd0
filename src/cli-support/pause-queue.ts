import type { AdminBroker } from '../broker/types.js'
import { safeText as safe } from '../format/safe-text.js'
import { unknownQueueNote } from '../status/unknown-queue.js'

/**
 * `tq pause` and `tq resume`: sets a queue's pause state and says so, with a note on stderr when
 * no job has used the queue and no worker takes it (most likely a typo; the change applies anyway).
 */
export async function setQueuePaused(broker: AdminBroker, queue: string, paused: boolean): Promise<void> {
  const { note } = await pauseQueue(broker, queue, paused)
  process.stdout.write(`${paused ? 'paused' : 'resumed'} ${safe(queue)}\n`)
  if (note) process.stderr.write(`note: ${safe(paused ? `${note}; paused it anyway: its jobs will wait until tq resume ${queue}` : note)}\n`)
}

/** Pauses or resumes a queue (tq pause/resume, the dashboard); `note` when the queue looks unknown. */
export async function pauseQueue(broker: AdminBroker, queue: string, paused: boolean): Promise<{ note?: string }> {
  const note = await unknownQueueNote(broker, queue)
  await (paused ? broker.pause(queue) : broker.resume(queue))
  return { note }
}
