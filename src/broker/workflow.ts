/**
 * The workflow rules every broker follows (SQLite and Postgres call these functions inside their
 * transactions; Redis's Lua scripts follow the same rules, and the conformance suite holds all of
 * them to it).
 *
 * A workflow is a set of jobs written in one enqueue call. A job with `step.dependsOn` starts
 * `waiting` with `pending` = the number of jobs it waits for and `depFailed` = 0. Whenever a job
 * that others wait for ends (succeeded, failed for good, cancelled, expired), in the same atomic
 * step that ended it, each job in its `step.next` that is still `waiting` gets `pending - 1`, and
 * `depFailed + 1` unless it succeeded. A job whose `pending` reaches 0 is resolved:
 *
 *   - no dependency failed, or the rule is `run`: its payload is built (buildInput) and it becomes
 *     `queued` (`scheduled` with `delayMs`); a join instead ends `succeeded` with that as its result
 *     (a join under `fail` whose dependencies failed ends `failed`, its result the outcomes).
 *   - otherwise, by its rule: `cancel` ends it `cancelled`, `fail` ends it `failed`, each with a
 *     DependencyFailed error (dependencyError) naming the dependencies that did not succeed.
 *
 * A job resolved to an end is itself a job that ended: the same step repeats for its `next`, so a
 * failure runs down a chain in one atomic step. Because the counter is decremented in the step
 * that ends the job, the job that reaches 0 is found exactly once, whatever the order of
 * completions and however many workers: a chord's body is enqueued once.
 *
 * Cancel of a workflow (its join's id) cancels every job of it that has not ended; active ones are
 * flagged and aborted by their worker. Retry of a failed step resumes the workflow: the jobs that
 * ended because of it (DependencyFailed, transitively) go back to `waiting`, their counters
 * recounted from their dependencies' states (recount). A step deleted before it ended (purge)
 * counts as `expired` for the steps waiting for it.
 */
import type { DepFailureRule, JobError, JobState } from './types.js'

/** The error name of a step that ended because a job it waited for did not succeed. */
export const DEPENDENCY_FAILED = 'DependencyFailed'

/** The task name of a workflow's join job (never claimed: the broker ends it). */
export const JOIN_TASK = 'tq.workflow'

/** A dependency as the resolution sees it. */
export interface DepOutcome {
  id: string
  task: string
  state: JobState
  /** JSON text, or null when the job returned nothing. */
  result: string | null
  /** JSON text of the stored JobError, or null. */
  error: string | null
}

/**
 * The payload (or a join's result) as JSON text: the pieces of `input` concatenated, each index
 * replaced by that dependency's result, or under `run` by its outcome. A missing result is `null`.
 */
export function buildInput(input: readonly (string | number)[], deps: readonly DepOutcome[], rule: DepFailureRule): string {
  let out = ''
  for (const piece of input) {
    if (typeof piece === 'string') {
      out += piece
      continue
    }
    const dep = deps[piece]!
    out += rule === 'run' ? outcomeJson(dep) : (dep.result ?? 'null')
  }
  return out
}

/**
 * Under `run` each dependency shows as its outcome, whether or not any failed, so a body that runs
 * anyway has one payload type; a failed join's result is the same list.
 */
function outcomeJson(dep: DepOutcome): string {
  if (dep.state === 'succeeded') return `{"ok":true,"value":${dep.result ?? 'null'}}`
  return `{"ok":false,"id":${JSON.stringify(dep.id)},"state":${JSON.stringify(dep.state)},"error":${dep.error ?? 'null'}}`
}

/** The outcomes of every dependency, in order: a failed join's result (which step failed, which gave what). */
export function outcomesJson(deps: readonly DepOutcome[]): string {
  return `[${deps.map(outcomeJson).join(',')}]`
}

/** How many failed steps an error names before it says "and N more". */
const NAMED = 10

/**
 * The error of a step that will not run because dependencies did not succeed: it names each one
 * (id, task, how it ended, its message), so a chord body's error says which header jobs failed.
 */
export function dependencyError(deps: readonly DepOutcome[], at: number): JobError {
  const bad = deps.filter((d) => d.state !== 'succeeded')
  const named = bad.slice(0, NAMED).map((d) => `${d.id} (${d.task}) ${d.state}${reason(d.error)}`)
  const more = bad.length > NAMED ? `; and ${bad.length - NAMED} more` : ''
  const lead = bad.length === 1 ? 'a step it waits for did not succeed' : `${bad.length} of the ${deps.length} steps it waits for did not succeed`
  return { name: DEPENDENCY_FAILED, message: `${lead}: ${named.join('; ')}${more}`, at: new Date(at).toISOString() }
}

function reason(errorJson: string | null): string {
  if (!errorJson) return ''
  try {
    const e = JSON.parse(errorJson) as JobError
    return e.message ? `: ${e.message}` : ''
  } catch {
    return ''
  }
}

/** What a job whose last dependency ended becomes. */
export type Resolution =
  | { kind: 'ready'; payload: string | null }
  | { kind: 'succeeded'; result: string }
  | { kind: 'cancelled'; error: JobError }
  | { kind: 'failed'; error: JobError; result: string | null }

/** Decides a resolved job's fate from its dependencies' outcomes (in `dependsOn` order). */
export function resolveStep(
  step: { input?: readonly (string | number)[] | null; onDepFailure: DepFailureRule; join?: boolean | null },
  deps: readonly DepOutcome[],
  now: number,
): Resolution {
  const failed = deps.some((d) => d.state !== 'succeeded')
  if (!failed || step.onDepFailure === 'run') {
    const input = step.input ? buildInput(step.input, deps, step.onDepFailure) : null
    return step.join ? { kind: 'succeeded', result: input ?? 'null' } : { kind: 'ready', payload: input }
  }
  const error = dependencyError(deps, now)
  if (step.onDepFailure === 'cancel') return { kind: 'cancelled', error }
  return { kind: 'failed', error, result: step.join ? outcomesJson(deps) : null }
}

/** Whether a job ended because of its dependencies (so a retry upstream may bring it back). */
export function endedByDependency(state: JobState, errorJson: string | null): boolean {
  if (state !== 'cancelled' && state !== 'failed') return false
  return errorJson != null && errorJson.includes(`"name":"${DEPENDENCY_FAILED}"`)
}
