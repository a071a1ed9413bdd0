// What bench/latency-pair.js (Redis, SQLite) and bench/pg-latency-pair.js (Postgres) share: an
// idle worker from a given built clone of tq, and the sampling loop that alternates between the
// two sides sample by sample, so on a loaded machine both see the same load at the same moments.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { percentile, sleep, waitForOutput } from './helpers.js'

/** Samples taken on each side before any is recorded. */
export const WARMUP = 50

/**
 * The command line of a pair benchmark: the two clones, the samples per side (default 600) and
 * what follows; with a clone missing, the usage and exit 2.
 */
export function pairArgs(script, more = '') {
  const [beforeDir, afterDir, samplesArg = '600', ...rest] = process.argv.slice(2)
  if (!beforeDir || !afterDir) {
    console.error(`usage: node bench/${script} <before-clone> <after-clone> [samples per side]${more}`)
    process.exit(2)
  }
  return { beforeDir, afterDir, samples: Number(samplesArg), rest }
}

/** `<clone>/bin/run.js worker --quiet …args` in the project's folder, once it says it started. */
export async function cloneWorker(dir, cwd, args) {
  const child = spawn(resolve(dir, 'bin/run.js'), ['worker', '--quiet', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const w = { child, stderr: () => out, exited: new Promise((r) => child.on('exit', r)) }
  await waitForOutput(w, 'tq worker')
  return w
}

/**
 * Each sample: every side (order alternating) enqueues one `lat` job through its client and waits
 * for the result; then `probe()` (a bare round trip: the server's pace). After `warmup` samples,
 * records on each side `start` (enqueue to the task's start, as the task measured it), `call` (the
 * enqueue call alone) and `result` (enqueue to the result seen), and returns the probes' times.
 */
export async function pairedSamples(sides, { warmup, samples, probe }) {
  const probes = []
  for (const s of sides) Object.assign(s, { start: [], call: [], result: [] })
  for (let i = 0; i < warmup + samples; i++) {
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      await sleep(2 + (i % 4))
      const t0 = process.hrtime.bigint()
      const handle = await s.client.enqueue('lat', { t: String(t0) })
      const call = Number(process.hrtime.bigint() - t0) / 1e6
      const ms = await handle.result({ timeout: '10s' })
      const result = Number(process.hrtime.bigint() - t0) / 1e6
      if (i >= warmup) s.start.push(ms), s.call.push(call), s.result.push(result)
    }
    await sleep(2 + (i % 4))
    const t0 = process.hrtime.bigint()
    await probe()
    if (i >= warmup) probes.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return probes
}

/** p50, p90 and p99 of some times in ms, for a report line. */
export function spread(xs) {
  const a = [...xs].sort((x, y) => x - y)
  return `p50 ${percentile(a, 50).toFixed(2)}  p90 ${percentile(a, 90).toFixed(2)}  p99 ${percentile(a, 99).toFixed(2)} ms`
}
