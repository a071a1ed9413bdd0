// Enqueue-to-start on postgres://, before/after alternated, with where the time goes: an idle
// `tq worker` (its own process) and a producer here; each sample enqueues one job (client.enqueue,
// so the enqueue's own commit is inside the figure, as in bench/peers/pg-vs-tq.js) and the task
// returns how long after the enqueue call it started (hrtime: one machine).
//   node bench/pg-latency.js <before-clone> <after-clone> [rounds] [samples] [query, e.g. synchronousCommit=off]
// Also reports the enqueue call alone (its return, before the worker hears of the job), and the
// time from the enqueue statement's start to the claim statement's start by the database's clock.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { PG_BASE } from './pg-helpers.js'

const [beforeDir, afterDir, roundsArg = '3', samplesArg = '200', query = ''] = process.argv.slice(2)
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/pg-latency.js <before-clone> <after-clone> [rounds] [samples] [query]')
  process.exit(2)
}
const BASE = PG_BASE
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))]

async function once(root) {
  const schema = `bench_lat_${randomBytes(4).toString('hex')}`
  const u = new URL(BASE)
  u.searchParams.set('schema', schema)
  for (const kv of query.split('&').filter(Boolean)) u.searchParams.set(...kv.split('='))
  const url = u.toString()
  const dir = mkdtempSync(join(tmpdir(), 'tq-pg-lat-'))
  writeFileSync(join(dir, 'tq.config.ts'), `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db' })\n`)
  mkdirSync(join(dir, 'tasks'))
  writeFileSync(join(dir, 'tasks', 'lat.ts'), `import { task } from 'tqjs'\nexport const lat = task('lat', async (p: { t: string }) => Number(process.hrtime.bigint() - BigInt(p.t)) / 1e6)\n`)
  const { PostgresBroker } = await import(join(root, 'dist/src/broker/postgres/postgres-broker.js'))
  const { Client } = await import(join(root, 'dist/src/app/client.js'))
  const broker = await PostgresBroker.connect(url)
  const child = spawn(process.execPath, ['--max-semi-space-size=4', join(root, 'bin/run.js'), 'worker', '--quiet', '--broker', url], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  try {
    while (!err.includes('tq worker')) {
      if (child.exitCode !== null) throw new Error(err)
      await sleep(20)
    }
    const client = new Client(broker)
    const start = []
    const enq = []
    for (let i = 0; i < Number(samplesArg) + 30; i++) {
      await sleep(2 + (i % 4))
      const t0 = process.hrtime.bigint()
      const handle = await client.enqueue('lat', { t: String(t0) })
      const e = Number(process.hrtime.bigint() - t0) / 1e6
      const ms = await handle.result({ timeout: '10s' })
      if (i >= 30) {
        start.push(ms)
        enq.push(e)
      }
    }
    // By the database's clock (ms): the enqueue statement's start to the claim statement's start.
    const c = new pg.Client({ connectionString: BASE })
    await c.connect()
    const gaps = (await c.query(`SELECT (started_at - created_at)::float8 AS gap FROM ${schema}.jobs WHERE started_at IS NOT NULL ORDER BY seq OFFSET 30`)).rows.map((r) => r.gap)
    await c.end()
    return { p50: pct(start, 50), p99: pct(start, 99), enq50: pct(enq, 50), claimGap: pct(gaps, 50) }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.on('exit', r))
    await broker.close()
    const c = new pg.Client({ connectionString: BASE })
    await c.connect()
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await c.end()
    rmSync(dir, { recursive: true, force: true })
  }
}

const sides = { before: resolve(beforeDir), after: resolve(afterDir) }
const out = { before: [], after: [] }
for (let r = 0; r < Number(roundsArg); r++) {
  for (const side of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
    const x = await once(sides[side])
    out[side].push(x)
    console.error(`${side}: enqueue-to-start p50 ${x.p50.toFixed(2)} p99 ${x.p99.toFixed(2)} ms; enqueue call p50 ${x.enq50.toFixed(2)} ms; enqueue statement to claim statement p50 ${x.claimGap} ms (database clock)`)
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
for (const side of ['before', 'after']) console.log(`${side.padEnd(6)} median p50 ${med(out[side].map((x) => x.p50)).toFixed(2)} ms, p99 ${med(out[side].map((x) => x.p99)).toFixed(2)} ms, enqueue call ${med(out[side].map((x) => x.enq50)).toFixed(2)} ms`)
process.exit(0)
