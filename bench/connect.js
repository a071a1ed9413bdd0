// The cost of a producer's connect(): a fresh Node process imports tqjs, connects and enqueues one
// job, (a) with a broker URL (the config is not read at all) and (b) reading tq.config.ts in
// memory (esbuild compiles it; nothing is written). Reported: the median over fresh processes of
// the time from just before `import('tqjs')` to the enqueue returning.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeProject, median, NOOP_TASK, ROOT } from './helpers.js'

const SCRIPT = `const t0 = performance.now()
const { connect } = await import(${JSON.stringify(join(ROOT, 'dist', 'src', 'index.js'))})
const tq = await connect()
const t1 = performance.now()
await tq.enqueue('noop', null)
const t2 = performance.now()
await tq.close()
console.log(JSON.stringify({ connect: t1 - t0, first: t2 - t0 }))
`

export async function connectCost({ quick, log }) {
  const { dir } = makeProject('connect', { noop: NOOP_TASK })
  const script = join(dir, 'produce.mjs')
  writeFileSync(script, SCRIPT)
  const runs = quick ? 5 : 15
  const rows = []
  for (const [label, env] of [
    ['connect() with a broker URL', { TQ_BROKER_URL: `sqlite://${join(dir, '.tq', 'tq.db')}` }],
    ['connect() reading tq.config.ts', { TQ_BROKER_URL: '' }],
  ]) {
    const samples = []
    for (let i = 0; i < runs; i++) {
      samples.push(JSON.parse(execFileSync(process.execPath, [script], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' })))
    }
    const connect = median(samples.map((s) => s.connect))
    const first = median(samples.map((s) => s.first))
    log(`  ${label}: connect ${connect.toFixed(1)} ms, first enqueue done ${first.toFixed(1)} ms (median of ${runs} processes)`)
    rows.push({ name: label, value: connect, unit: 'ms', decimals: 1, detail: ` (import + connect; first enqueue done at ${first.toFixed(1)} ms)` })
  }
  return rows
}
