import { Flags } from '#oclif'

/** Flags `tq worker` and `tq dev` share: how the worker takes and runs jobs. */
export const workerFlags = {
  queues: Flags.string({ description: 'comma-separated queues to take jobs from (default: default + the queues of the tasks)' }),
  concurrency: Flags.integer({ description: 'jobs to run at once', min: 1 }),
  threads: Flags.integer({ description: 'task threads (default: one per core less one for the engine, at most concurrency)', min: 1 }),
  metrics: Flags.string({ description: 'serve Prometheus metrics on [host:]port at /metrics (e.g. 9464, 127.0.0.1:9464; 0 picks a free port)' }),
}

/** `--queues a, b` as a list. */
export function queueList(queues: string | undefined): string[] | undefined {
  return queues?.split(',').map((q) => q.trim()).filter(Boolean)
}
