// Shared helpers for the benchmarks: temp dirs and child processes that are always cleaned up,
// a throwaway tq project, worker processes, RSS sampling, percentiles and formatting.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const BIN = join(ROOT, 'bin', 'run.js')
/** Imports a compiled module of tq, e.g. dist('src/broker/sqlite/sqlite-broker.js'). */
export const dist = (rel) => import(join(ROOT, 'dist', rel))

// ---- cleanup: every temp dir and child is registered, and removed on any exit path ----
const dirs = new Set()
const children = new Set()

export function tempDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `tq-bench-${label}-`))
  dirs.add(dir)
  return dir
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

export function cleanupAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {
      /* already gone */
    }
  }
  children.clear()
  for (const dir of [...dirs]) removeDir(dir)
}

process.on('exit', cleanupAll)
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanupAll()
    process.exit(130)
  })
}

// ---- a throwaway project: tq.config.ts + tasks/*.ts, broker in .tq/tq.db ----
export const NOOP_TASK = `import { task } from 'tqjs'
export const noop = task('noop', async () => {})
`

// The same monotonic clock (CLOCK_MONOTONIC) in every process and thread of the machine:
// the producer stamps the payload, the task subtracts, no wall-clock skew involved.
export const LATENCY_TASK = `import { task } from 'tqjs'
export const lat = task('lat', async (p: { t: string }) => Number(process.hrtime.bigint() - BigInt(p.t)) / 1e6)
`

export function makeProject(label, tasks) {
  const dir = tempDir(label)
  writeFileSync(join(dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
  mkdirSync(join(dir, 'tasks'))
  for (const [name, code] of Object.entries(tasks)) writeFileSync(join(dir, 'tasks', `${name}.ts`), code)
  return { dir, dbFile: join(dir, '.tq', 'tq.db') }
}

export async function openSqlite(file) {
  const { SqliteBroker } = await dist('src/broker/sqlite/sqlite-broker.js')
  return new SqliteBroker(file)
}

/** A NewJob as the broker takes it. */
export const newJob = (task, payload = '{}', now = Date.now()) => ({ task, queue: 'default', payload, priority: 0, runAt: now, maxAttempts: 1 })

// ---- worker processes ----
/**
 * Spawns `node bin/run.js worker <args>` in `cwd`. Returns { child, exited, stderr() }.
 * `exited` resolves with the exit code (rejects on spawn error).
 */
export function spawnWorker(cwd, args, { nodeArgs = [] } = {}) {
  // Run the binary as users do (its shebang sets Node flags), unless Node flags are asked for.
  const [cmd, argv] = nodeArgs.length ? [process.execPath, [...nodeArgs, BIN, 'worker', ...args]] : [BIN, ['worker', ...args]]
  const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let err = ''
  let out = ''
  child.stdout.on('data', (d) => (out = (out + d).slice(-4000)))
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)))
  const exited = new Promise((res, rej) => {
    child.on('error', rej)
    child.on('exit', (code, signal) => {
      children.delete(child)
      res(code ?? signal)
    })
  })
  return { child, exited, stderr: () => err, stdout: () => out }
}

/** Resolves once the child's stderr contains `text` (the worker's banner), or rejects after `ms`. */
export function waitForOutput(w, text, ms = 20_000) {
  return new Promise((res, rej) => {
    const check = () => (w.stderr().includes(text) ? (clearInterval(t), clearTimeout(to), res()) : undefined)
    const t = setInterval(check, 10)
    const to = setTimeout(() => (clearInterval(t), rej(new Error(`worker did not print "${text}" in ${ms} ms; stderr: ${w.stderr()}`))), ms)
    w.exited.then((code) => (clearInterval(t), clearTimeout(to), rej(new Error(`worker exited (${code}) early; stderr: ${w.stderr()}`))))
  })
}

/**
 * Samples a process's memory and CPU from /proc every `everyMs`; stop() returns the peaks in MB and
 * cpuBetween(fromMs, toMs): the CPU seconds (user + system, all threads) the process used between
 * two wall-clock times (Date.now()), from the samples on either side (10 ms clock ticks).
 */
export function sampleMemory(pid, everyMs = 20) {
  let hwm = 0
  let rss = 0
  const cpu = [] // [Date.now(), cpu seconds]
  const read = () => {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8')
      const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0)
      hwm = Math.max(hwm, kb('VmHWM'))
      rss = Math.max(rss, kb('VmRSS'))
      // Fields after the command name: utime and stime are the 12th and 13th (clock ticks, 100/s).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      cpu.push([Date.now(), (Number(f[11]) + Number(f[12])) / 100])
    } catch {
      /* exited */
    }
  }
  const t = setInterval(read, everyMs)
  read()
  return {
    stop() {
      read()
      clearInterval(t)
      const cpuBetween = (from, to) => {
        const before = cpu.filter(([at]) => at <= from).pop() ?? cpu[0]
        const after = cpu.find(([at]) => at >= to) ?? cpu[cpu.length - 1]
        return before && after ? after[1] - before[1] : NaN
      }
      return { hwmMB: hwm / 1024, rssMB: rss / 1024, cpuS: cpu.length ? cpu[cpu.length - 1][1] : NaN, cpuBetween }
    },
  }
}

// ---- numbers ----
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
export const fmtInt = (n) => Math.round(n).toLocaleString('en-US')
export const fmtMs = (n) => n.toFixed(2)
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Awaits `fn()` and returns how long it took, in seconds. */
export async function timed(fn) {
  const t0 = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}
