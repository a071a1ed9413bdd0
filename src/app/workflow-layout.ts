import { newJobId } from '../broker/job-id.js'
import type { DepFailureRule, NewJob, WorkflowStep } from '../broker/types.js'
import { JOIN_TASK } from '../broker/workflow.js'
import { UsageError } from '../errors.js'
import { toMs } from '../util/duration.js'
import type { CanvasNode } from './canvas.js'
import { buildNewJob } from './new-job.js'
import type { Size } from './size.js'
import type { TaskOptions } from './task-types.js'

/**
 * Lays a workflow out as jobs, all written by one enqueue call: every step exists from the start
 * (`waiting` until what it waits for has ended), so `tq job` can show the whole graph, and the
 * broker needs no knowledge of chains or chords: each job only says what it waits for, how its
 * payload is made from their results, and what to do if one fails (WorkflowStep).
 *
 * A step's result is described by an expression over job ids: a job's id, or a list of
 * expressions (a group's results, nested as the groups are). The next step waits for every id in
 * it and receives it rendered as JSON, each id replaced by that job's result.
 */
type Expr = string | Expr[]

export interface LaidOut {
  /** The workflow's id: its join job, whose result is the workflow's. */
  id: string
  jobs: NewJob[]
}

export function layOutWorkflow(root: CanvasNode, now: number, maxPayload?: Size): LaidOut {
  const workflowId = newJobId(now)
  const jobs: NewJob[] = []
  const byId = new Map<string, NewJob & { step: WorkflowStep }>()

  // `job` is a fresh object from buildNewJob: completed in place rather than copied.
  const add = (job: NewJob, id: string, step: WorkflowStep) => {
    job.id = id
    job.step = step
    jobs.push(job)
    byId.set(id, job as NewJob & { step: WorkflowStep })
  }

  /** Lays `n` out after `prev` (null: nothing before it); `rule` applies to the steps that wait on prev. */
  const lay = (n: CanvasNode, prev: Expr | null, rule: DepFailureRule): Expr => {
    switch (n.kind) {
      case 'signature': {
        const id = newJobId(now)
        const waits = prev !== null
        if (n.opts.key !== undefined) throw new UsageError(`a workflow step (${n.task.name}) cannot have a unique key`, 'enqueue it on its own to use a key')
        if (waits && n.opts.at !== undefined) throw new UsageError(`step ${n.task.name} waits for another, so it cannot run at a fixed time`, 'give it a delay instead: .set({ delay })')
        // A payload still to come is checked by the worker before the run (schema, JSON): here only what is known.
        const own = n.task.options as TaskOptions<unknown>
        const options = n.hasPayload ? own : { ...own, schema: undefined, unique: undefined }
        const job = buildNewJob(n.task.name, options, n.hasPayload ? n.payload : null, waits ? { ...n.opts, delay: undefined } : n.opts, now, maxPayload)
        const dependsOn = waits ? ids(prev) : []
        add(waits ? { ...job, runAt: now, key: null, expiresAt: null } : { ...job, key: null }, id, {
          workflowId,
          dependsOn,
          next: [],
          input: waits && !n.hasPayload ? pieces(prev, dependsOn) : undefined,
          onDepFailure: rule,
          delayMs: waits && n.opts.delay !== undefined ? toMs(n.opts.delay, 'delay') : undefined,
        })
        return id
      }
      case 'chain': {
        let p = prev
        n.steps.forEach((s, i) => (p = lay(s, p, i === 0 ? rule : 'cancel')))
        return p!
      }
      case 'group':
        return n.members.map((m) => lay(m, prev, rule))
      case 'chord': {
        const header = n.header.map((m) => lay(m, prev, rule))
        return lay(n.body, header, n.runAnyway ? 'run' : 'fail')
      }
    }
  }

  const result = lay(root, null, 'cancel')
  const dependsOn = ids(result)
  const first = jobs[0]!
  add(
    { task: JOIN_TASK, queue: first.queue, payload: 'null', priority: 0, runAt: now, maxAttempts: 1, key: null, parentId: first.parentId ?? null },
    workflowId,
    { workflowId, dependsOn, next: [], input: pieces(result, dependsOn), onDepFailure: 'fail', join: true },
  )
  // The reverse edges: ending a job then needs no search for who waits on it.
  for (const j of jobs) for (const d of j.step!.dependsOn) byId.get(d)!.step.next.push(j.id!)
  return { id: workflowId, jobs }
}

/** The job ids an expression waits for, in order. */
function ids(e: Expr): string[] {
  if (typeof e === 'string') return [e]
  return e.flatMap(ids)
}

/** The expression as WorkflowStep.input: JSON text pieces and indexes into `dependsOn`. */
function pieces(e: Expr, dependsOn: readonly string[]): (string | number)[] {
  const at = new Map(dependsOn.map((id, i) => [id, i]))
  const out: (string | number)[] = []
  const text = (t: string) => {
    const last = out.length - 1
    if (typeof out[last] === 'string') out[last] = (out[last] as string) + t
    else out.push(t)
  }
  const walk = (x: Expr) => {
    if (typeof x === 'string') return void out.push(at.get(x)!)
    text('[')
    x.forEach((y, i) => (i > 0 && text(','), walk(y)))
    text(']')
  }
  walk(e)
  return out
}
