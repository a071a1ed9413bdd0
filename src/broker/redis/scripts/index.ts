/**
 * Loads the tq Lua scripts into an ioredis connection with `defineCommand` (EVALSHA, with an
 * automatic EVAL fallback when the server does not have the script cached, e.g. after a restart).
 *
 * Each script lives in its own `<name>.lua.ts` module exporting the Lua source as a string,
 * so `tsc` compiles it into `dist/` with the rest of the broker (the package ships `dist/`, not
 * `src/`, and tsc does not copy `.lua` files). Scripts marked `lib` get lib.lua in front: only
 * the library declarations their body uses (shake.ts: the server runs all of a script's text on
 * every call, so unused helpers would cost Redis CPU each time).
 */
import type { ChainableCommander, Redis } from 'ioredis'
import { CANCEL } from './cancel.lua.js'
import { CLAIM } from './claim.lua.js'
import { COUNTS } from './counts.lua.js'
import { ENQUEUE_SLOT } from './enqueue-slot.lua.js'
import { ENQUEUE } from './enqueue.lua.js'
import { HEARTBEAT } from './heartbeat.lua.js'
import { LIB } from './lib.lua.js'
import { LIST_JOBS } from './list-jobs.lua.js'
import { PAUSE } from './pause.lua.js'
import { PROGRESS } from './progress.lua.js'
import { PRUNE } from './prune.lua.js'
import { PURGE } from './purge.lua.js'
import { RATE_TOKENS } from './rate-tokens.lua.js'
import { RECOVER_EXPIRED } from './recover-expired.lua.js'
import { RENEW } from './renew.lua.js'
import { RESUME } from './resume.lua.js'
import { RETRY } from './retry.lua.js'
import { makeShaker } from './shake.js'
import { SAVE_SCHEDULES } from './save-schedules.lua.js'
import { SETTLE } from './settle.lua.js'
import { THROUGHPUT } from './throughput.lua.js'
import { UNPARK } from './unpark.lua.js'
import { WATCH_JOB } from './watch-job.lua.js'

interface ScriptDef {
  /** Lua body. */
  lua: string
  /**
   * The KEYS a call passes: fixed key names (relative to the key base), then `$n` for n keys
   * the caller gives (already full names).
   */
  keys: readonly string[]
  /** Prepend lib.lua, the parts the body uses (ARGV[1] = key base, ARGV[2] = events channel). */
  lib: boolean
}

export const SCRIPTS = {
  enqueue: { lua: ENQUEUE, keys: ['seq', 'jobs', 'keys', 'queues'], lib: true },
  enqueueSlot: { lua: ENQUEUE_SLOT, keys: ['seq', 'jobs', 'keys', 'queues', 'schedules'], lib: true },
  claim: { lua: CLAIM, keys: ['leases', 'paused'], lib: true },
  settle: { lua: SETTLE, keys: ['leases', 'result-expiry', 'keys'], lib: true },
  renew: { lua: RENEW, keys: ['leases'], lib: true },
  recoverExpired: { lua: RECOVER_EXPIRED, keys: ['leases'], lib: true },
  heartbeat: { lua: HEARTBEAT, keys: ['workers', 'worker-beats'], lib: true },
  progress: { lua: PROGRESS, keys: ['$1'], lib: true },
  cancel: { lua: CANCEL, keys: ['finished:cancelled', 'keys'], lib: true },
  retry: { lua: RETRY, keys: ['keys', 'result-expiry'], lib: true },
  purge: { lua: PURGE, keys: ['queues', 'jobs', 'keys'], lib: true },
  prune: { lua: PRUNE, keys: ['finished:succeeded', 'finished:cancelled', 'finished:expired', 'finished:failed', 'result-expiry'], lib: true },
  pause: { lua: PAUSE, keys: ['paused', 'queues'], lib: true },
  resume: { lua: RESUME, keys: ['paused', 'queues'], lib: true },
  rateTokens: { lua: RATE_TOKENS, keys: ['$1'], lib: false },
  saveSchedules: { lua: SAVE_SCHEDULES, keys: ['schedules'], lib: true },
  listJobs: { lua: LIST_JOBS, keys: ['jobs', 'queues'], lib: true },
  counts: { lua: COUNTS, keys: ['queues', 'paused'], lib: true },
  throughput: { lua: THROUGHPUT, keys: ['seq'], lib: true },
  watchJob: { lua: WATCH_JOB, keys: ['$1'], lib: false },
  unpark: { lua: UNPARK, keys: ['leases'], lib: true },
} as const satisfies Record<string, ScriptDef>

export type ScriptName = keyof typeof SCRIPTS

/** Command names on the connection: prefixed so they never shadow an ioredis method. */
const commandName = (name: ScriptName) => `tq_${name}`

/** Registers every script on a connection (and its pipelines). */
export function defineScripts(redis: Redis): void {
  for (const [name, def] of Object.entries(SCRIPTS) as [ScriptName, ScriptDef][]) {
    redis.defineCommand(commandName(name), { numberOfKeys: def.keys.length, lua: scriptSource(name) })
  }
}

/** Shaken sources, built once per process (a script's SHA must not change between calls). */
let shake: ((body: string) => string) | undefined
const sources = new Map<ScriptName, string>()

/** A script's full source, as the server runs it (for SCRIPT LOAD before a MULTI). */
export function scriptSource(name: ScriptName): string {
  let src = sources.get(name)
  if (src === undefined) {
    const def: ScriptDef = SCRIPTS[name]
    src = def.lib ? (shake ??= makeShaker(LIB))(def.lua) : def.lua
    sources.set(name, src)
  }
  return src
}

/**
 * Runs a script. `base` and `channel` become ARGV[1] and ARGV[2] of lib scripts; `given` fills
 * the `$n` keys.
 */
export function runScript(
  conn: Redis | ChainableCommander,
  name: ScriptName,
  ctx: { base: string; channel: string },
  args: readonly (string | number)[],
  given: readonly string[] = [],
): Promise<unknown> {
  const def: ScriptDef = SCRIPTS[name]
  let g = 0
  const keys = def.keys.map((k) => (k.startsWith('$') ? given[g++]! : ctx.base + k))
  const argv = def.lib ? [ctx.base, ctx.channel, ...args] : args
  const fn = (conn as unknown as Record<string, (a: (string | number)[]) => Promise<unknown>>)[commandName(name)]
  if (typeof fn !== 'function') throw new Error(`tq: script ${name} is not defined on this connection`)
  // One array argument (ioredis flattens it): a bulk call may have far more arguments than a
  // JavaScript call can spread.
  return fn.call(conn, [...keys, ...argv])
}
