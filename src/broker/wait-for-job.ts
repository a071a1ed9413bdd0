import { FINAL_STATES, type JobJSON, type JobState, type ProducerBroker } from './types.js'

const FINAL = new Set<JobState>(FINAL_STATES)
/** Longest single wait: a change missed by a broker is still noticed within this. */
const RECHECK_MS = 1000

/**
 * Waits until job `id` has ended (a final state) or `timeoutMs` has passed, and resolves with the
 * job as stored then (not ended if the time ran out); null if it does not exist. A broker with
 * waitForJob hands the ended job over with its notification; any other is read after each change
 * it reports (waitForChange). Either way the job is read again at least every second.
 */
export async function awaitJobEnd(broker: ProducerBroker, id: string, timeoutMs: number): Promise<JobJSON | null> {
  const deadline = Date.now() + timeoutMs
  const slice = () => Math.max(0, Math.min(deadline - Date.now(), RECHECK_MS))
  for (;;) {
    const job = broker.waitForJob ? await broker.waitForJob(id, slice()) : await broker.getJob(id)
    if (!job || FINAL.has(job.state) || Date.now() >= deadline) return job
    if (!broker.waitForJob) await broker.waitForChange(slice())
  }
}
