// CPU per job of a drain, before/after, alternated: the worker process's user + system seconds
// (threads included), from /usr/bin/time, for 50,000 no-op jobs at concurrency 500. CPU per job
// moves less than jobs/s when the machine is shared.
//   node bench/cpu-ab.js <before-clone> <after-clone> [rounds]      (each clone built)
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const [beforeDir, afterDir, roundsArg = '3'] = process.argv.slice(2)
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/cpu-ab.js <before-clone> <after-clone> [rounds]')
  process.exit(2)
}
const N = 50_000
const sides = { before: resolve(beforeDir), after: resolve(afterDir) }
const results = { before: [], after: [] }
for (let round = 0; round < Number(roundsArg); round++) {
  // Each round flips which side goes first, so a machine getting busier favours neither.
  const order = round % 2 === 0 ? Object.entries(sides) : Object.entries(sides).reverse()
  for (const [side, root] of order) {
    const dir = mkdtempSync(join(tmpdir(), 'tq-cpu-ab-'))
    try {
      writeFileSync(join(dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
      mkdirSync(join(dir, 'tasks'))
      writeFileSync(join(dir, 'tasks', 'noop.ts'), `import { task } from 'tqjs'\nexport const noop = task('noop', async () => {})\n`)
      mkdirSync(join(dir, '.tq'), { mode: 0o700 })
      const { SqliteBroker } = await import(join(root, 'dist/src/broker/sqlite/sqlite-broker.js'))
      const broker = new SqliteBroker(join(dir, '.tq', 'tq.db'))
      for (let i = 0; i < N; i += 1000) {
        const now = Date.now()
        await broker.enqueue(Array.from({ length: 1000 }, () => ({ task: 'noop', queue: 'default', payload: '{}', priority: 0, runAt: now, maxAttempts: 1 })))
      }
      await broker.close()
      const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', process.execPath, join(root, 'bin/run.js'), 'worker', '--burst', '--quiet', '--concurrency', '500'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
      const [user, sys, wall] = r.stderr.trim().split('\n').pop().split(' ').map(Number)
      const perJob = ((user + sys) / N) * 1e6
      results[side].push(perJob)
      console.log(`${side} ${perJob.toFixed(1)} µs CPU/job (wall ${wall} s)`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
for (const side of ['before', 'after']) console.log(`${side} median ${median(results[side]).toFixed(1)} µs CPU/job`)
