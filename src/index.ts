/**
 * tqjs: the public API. `import { task, defineConfig, connect } from 'tqjs'`.
 * Broker drivers load lazily, so importing this in a task module or a worker thread is cheap.
 */
export {
  task,
  defineTask,
  isTask,
  isContract,
  type Task,
  type TaskContract,
  type TaskRegistry,
  type TaskName,
  type PayloadOf,
  type ResultOf,
  type PayloadFor,
  type ResultFor,
  type TaskOptions,
  type TaskContext,
  type Handler,
  type BackoffOptions,
  type PayloadSchema,
} from './app/task.js'
export type { JsonValue, Jsonified, ResultJson } from './app/json-types.js'
export { schedule, isSchedule, type Schedule, type ScheduleOptions, type ScheduleSpec, type CatchUp } from './app/schedule.js'
export { RetryLater, FatalError } from './worker/task-errors.js'
export { defineConfig, type TqConfig, type WorkerConfig, type BeatConfig, type ConfigSchedule, type RetentionConfig } from './app/config.js'
export { connect, closeDefaultClient, Client, type ConnectOptions } from './app/client.js'
export { runWorker, runOnce, type RunWorkerOptions, type RunningWorker } from './worker/run.js'
export { JobHandle, type EnqueueOptions, type ResultOptions } from './app/job-handle.js'
export { chain, group, chord, type Canvas, type Signature, type Outcome, type ChordOptions } from './app/canvas.js'
export type { Duration } from './util/duration.js'
// Job data as producers read it back. The Broker interface and its claim/settle/lease protocol
// are not public: they are between the worker engine and the broker implementations.
export type { JobJSON, JobState, JobError } from './broker/types.js'
export { TqError, UsageError, ConfigError, BrokerError, UnknownTaskError, JobFailedError, TimeoutError } from './errors.js'
