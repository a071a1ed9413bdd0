// CLI start-up: `tq --help` and `tq enqueue` of one job, each in a fresh process started as a user
// starts it (bin/run.js through its shebang), timed from spawn to exit; the median of N runs.
// The project's task bundle is built by a first, untimed enqueue: a start that finds its task
// modules unchanged must not rebuild them. TQ_BENCH_BASELINE=<another tq checkout, built> times
// that checkout's binary too, run for run in alternation, so a busy machine slows both alike.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { BIN, makeProject, median, NOOP_TASK } from './helpers.js'

function timed(bin, args, cwd) {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TQ_BROKER_URL: '' } })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return ms
}

export async function cliStart({ quick, log }) {
  const { dir } = makeProject('cli', { noop: NOOP_TASK })
  const baseline = process.env.TQ_BENCH_BASELINE
  const bins = [['tq', BIN], ...(baseline ? [['baseline', join(baseline, 'bin', 'run.js')]] : [])]
  const runs = quick ? 7 : 21
  const rows = []
  for (const [label, args, max] of [
    ['tq --help', ['--help'], 250],
    ['tq enqueue (one job)', ['enqueue', 'noop'], 350],
  ]) {
    const samples = new Map(bins.map(([name]) => [name, []]))
    for (const [, bin] of bins) timed(bin, args, dir) // warm the disk cache; builds the task bundle once
    for (let i = 0; i < runs; i++) for (const [name, bin] of bins) samples.get(name).push(timed(bin, args, dir))
    const ms = median(samples.get('tq'))
    const base = baseline ? median(samples.get('baseline')) : undefined
    const vs = base === undefined ? '' : ` (baseline ${base.toFixed(0)} ms)`
    log(`  ${label}: ${ms.toFixed(0)} ms${vs}, median of ${runs} fresh processes`)
    rows.push({ name: `${label}, cold start`, value: ms, unit: 'ms', decimals: 0, max, target: `≤ ${max} ms`, detail: vs })
  }
  return rows
}
