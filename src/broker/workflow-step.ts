/**
 * One job's place in a workflow (chain, group, chord), written with the whole workflow in one
 * enqueue call. The client lays the graph out (src/app/canvas); a broker only keeps these fields
 * and, whenever a job that others wait for ends, runs the rules of src/broker/workflow.ts in the
 * same atomic step that ended it: an atomic counter per waiting job, never a polling task.
 */
export interface WorkflowStep {
  /** The workflow's id: the id of its join job, whose result is the workflow's result. */
  workflowId: string
  /** Jobs this one waits for, all in the same enqueue call. Non-empty: the job starts `waiting`. */
  dependsOn: string[]
  /** Jobs that wait for this one (the reverse edges, so ending a job needs no search). */
  next: string[]
  /**
   * How the payload is made from the results of `dependsOn` once they have all ended: pieces of
   * JSON text and indexes into `dependsOn`, concatenated (see buildInput). Absent: the job keeps
   * the payload it was given (a signature with its own payload only waits).
   */
  input?: (string | number)[]
  /**
   * When a job it waits for did not succeed: `cancel` (a chain's next link: ends cancelled),
   * `fail` (a chord's body or a workflow's join: ends failed, naming the steps that failed), or
   * `run` (runs anyway; each index in `input` becomes an outcome, `{ ok, value }` or `{ ok, error }`).
   */
  onDepFailure: DepFailureRule
  /** The workflow's join: never claimed; it ends itself when its last dependency ends, with `input` as its result. */
  join?: boolean
  /** Runs this long after it becomes ready (ms). */
  delayMs?: number
}

export type DepFailureRule = 'cancel' | 'fail' | 'run'
