// Enqueue-to-start latency before/after, alternated: the SQLite and Redis latency cases run from
// two built clones of tq in turn, so both see the same machine in the same minutes.
//   node bench/latency-ab.js <before-clone> <after-clone> [rounds] [sqlite|redis]
// (the last argument runs one broker's case only). The Redis case also reports its PING round trip.
import { resolve } from 'node:path'

const [beforeDir, afterDir, roundsArg = '3', only] = process.argv.slice(2)
const brokers = only ? [only] : ['sqlite', 'redis']
if (!beforeDir || !afterDir) {
  console.error('usage: node bench/latency-ab.js <before-clone> <after-clone> [rounds]')
  process.exit(2)
}
const load = async (dir) => ({ sqlite: (await import(resolve(dir, 'bench', 'latency.js'))).latencyProcess, redis: (await import(resolve(dir, 'bench', 'redis.js'))).redisLatency })
const sides = { before: await load(beforeDir), after: await load(afterDir) }
const out = {}
for (let r = 0; r < Number(roundsArg); r++) {
  for (const side of r % 2 ? ['after', 'before'] : ['before', 'after']) {
    for (const broker of brokers) {
      const rows = await sides[side][broker]({ quick: false, log: () => {} })
      for (const row of rows) {
        if (!/p50|p99/.test(row.name) && !/seen by producer|PING/.test(row.name)) continue
        const key = `${broker} ${row.name.trim()}`
        ;((out[key] ??= { before: [], after: [] })[side]).push(row.value)
      }
    }
  }
}
for (const [k, v] of Object.entries(out)) console.log(`${k}\n  before ${v.before.map((x) => x.toFixed(2)).join(' ')} ms | after ${v.after.map((x) => x.toFixed(2)).join(' ')} ms`)
process.exit(0)
