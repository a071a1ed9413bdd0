import type { JobError } from '../broker/types.js'
import type { EnqueueOptions } from './job-handle.js'

/**
 * Workflows, after Celery's canvas: a signature is one task with (or without) its payload, and
 * `chain`, `group` and `chord` compose signatures and each other. They are plain descriptions:
 * nothing is written until `tq.enqueue(workflow)`, which lays the whole graph out as jobs in one
 * atomic enqueue (workflow-layout.ts); the broker then moves it along as jobs end.
 *
 * Types flow through: each step has an input (what it takes from the step before it) and an
 * output (its result after JSON). A chain whose link cannot take the previous link's result is a
 * compile error at the `chain(...)` call; so is enqueueing a workflow whose first step needs a
 * payload it was not given.
 */

export const CANVAS = Symbol.for('tqjs.canvas')

/** The task of a signature: a contract (named structurally, as task-types.ts imports this module). */
export interface StepTask {
  readonly name: string
  readonly options: object
}

/** What a workflow is made of, as the layout reads it. */
export type CanvasNode =
  | { kind: 'signature'; task: StepTask; payload: unknown; hasPayload: boolean; opts: EnqueueOptions }
  | { kind: 'chain'; steps: readonly CanvasNode[] }
  | { kind: 'group'; members: readonly CanvasNode[] }
  | { kind: 'chord'; header: readonly CanvasNode[]; body: CanvasNode; runAnyway: boolean }

/**
 * A step of a workflow that takes `In` from the step before it and passes `Out` on. `In` is
 * contravariant (a step that takes anything fits everywhere), `Out` covariant.
 */
export interface Canvas<In, Out> {
  readonly [CANVAS]: CanvasNode
  /** Type-only. */
  readonly __in?: (input: In) => void
  /** Type-only. */
  readonly __out?: Out
}

/** One task in a workflow: `task.s(payload)`, or `task.s()` to take the previous step's result. */
export interface Signature<In, Out> extends Canvas<In, Out> {
  /** The same signature with enqueue options (queue, priority, delay, …): Celery's `.set()`. */
  set(opts: EnqueueOptions): Signature<In, Out>
}

/** How a step ended, as a chord body run with `runAnyway` receives each header result. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; id: string; state: 'failed' | 'cancelled' | 'expired'; error: JobError | null }

type AnyCanvas = Canvas<any, any>
export type InOf<C> = [C] extends [Canvas<infer I, any>] ? I : never
export type OutOf<C> = C extends Canvas<any, infer O> ? O : never

/** Each link after the first must take the result of the one before it. */
type ChainCheck<S extends readonly unknown[], Prev, First extends boolean> = S extends readonly [infer H, ...infer T]
  ? [First extends true ? H : Canvas<Prev, OutOf<H>>, ...ChainCheck<T, OutOf<H>, false>]
  : S
type Last<S extends readonly unknown[]> = S extends readonly [...unknown[], infer L] ? L : S[number]
/** The results of a list of steps, in order: a tuple for a literal list, an array otherwise. */
export type ResultsOf<S extends readonly unknown[]> = { -readonly [K in keyof S]: OutOf<S[K]> }
type OutcomesOf<S extends readonly unknown[]> = { -readonly [K in keyof S]: Outcome<OutOf<S[K]>> }

const node = (c: AnyCanvas): CanvasNode => {
  const n = (c as { [CANVAS]?: CanvasNode } | null)?.[CANVAS]
  if (!n) throw new TypeError('a workflow step must be a signature (task.s(...)) or a chain, group or chord')
  return n
}

/** Makes a signature (what `task.s()` returns). */
export function signature<In, Out>(task: StepTask, payload: unknown, hasPayload: boolean, opts: EnqueueOptions = {}): Signature<In, Out> {
  const n: CanvasNode = { kind: 'signature', task, payload, hasPayload, opts }
  return { [CANVAS]: n, set: (more) => signature<In, Out>(task, payload, hasPayload, { ...opts, ...more }) }
}

/** Runs steps one after another; each gets the previous step's result (unless given a payload of its own). */
export function chain<const S extends readonly [AnyCanvas, ...AnyCanvas[]]>(...steps: S & ChainCheck<S, never, true>): Canvas<InOf<S[0]>, OutOf<Last<S>>> {
  if (steps.length === 0) throw new TypeError('chain() needs at least one step')
  return { [CANVAS]: { kind: 'chain', steps: steps.map(node) } }
}

/** Runs steps side by side; the result is their results, in order. Each gets the previous step's result. */
export function group<const S extends readonly AnyCanvas[]>(members: S): Canvas<InOf<S[number]>, ResultsOf<S>> {
  if (!Array.isArray(members) || members.length === 0) throw new TypeError('group() needs a non-empty list of steps')
  return { [CANVAS]: { kind: 'group', members: members.map(node) } }
}

export interface ChordOptions {
  /**
   * Run the body even when header jobs failed: it then receives each header's outcome
   * (`{ ok: true, value }` or `{ ok: false, id, state, error }`) instead of the bare results.
   */
  runAnyway?: boolean
}

/** A group whose results, in order, are the body's payload once every header job has succeeded. */
export function chord<const S extends readonly AnyCanvas[], Out>(header: S, body: Canvas<ResultsOf<S>, Out>, opts?: { runAnyway?: false }): Canvas<InOf<S[number]>, Out>
export function chord<const S extends readonly AnyCanvas[], Out>(header: S, body: Canvas<OutcomesOf<S>, Out>, opts: { runAnyway: true }): Canvas<InOf<S[number]>, Out>
export function chord(header: readonly AnyCanvas[], body: AnyCanvas, opts: ChordOptions = {}): AnyCanvas {
  if (!Array.isArray(header) || header.length === 0) throw new TypeError('chord() needs a non-empty header list')
  return { [CANVAS]: { kind: 'chord', header: header.map(node), body: node(body), runAnyway: opts.runAnyway === true } }
}

export function isCanvas(value: unknown): value is AnyCanvas {
  return typeof value === 'object' && value !== null && CANVAS in value
}

export function canvasNode(c: AnyCanvas): CanvasNode {
  return node(c)
}

/** The queues a workflow's steps go to (a worker or test queue must claim from each). */
export function canvasQueues(c: AnyCanvas): Set<string> {
  const out = new Set<string>()
  const walk = (n: CanvasNode): void => {
    if (n.kind === 'signature') out.add(n.opts.queue ?? (n.task.options as { queue?: string }).queue ?? 'default')
    else if (n.kind === 'chain') n.steps.forEach(walk)
    else if (n.kind === 'group') n.members.forEach(walk)
    else (n.header.forEach(walk), walk(n.body))
  }
  walk(node(c))
  return out
}
