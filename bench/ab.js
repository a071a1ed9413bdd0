// Before/after, interleaved: the same drain run alternately from two built clones of tq, so that
// both see the same machine in the same minutes (this VM's speed drifts by 30 % over an hour).
//   node bench/ab.js <before-clone> <after-clone> [drain|redis-drain] [runs]
// Each clone must be built (npm run build); e.g. git clone . /tmp/before && git -C /tmp/before
// checkout <rev>, then share node_modules and build.
import { resolve } from 'node:path'

const [beforeDir, afterDir, what = 'drain', runsArg = '5'] = process.argv.slice(2)
if (!beforeDir || !afterDir || !['drain', 'redis-drain'].includes(what)) {
  console.error('usage: node bench/ab.js <before-clone> <after-clone> [drain|redis-drain] [runs]')
  process.exit(2)
}
const load = async (dir) => {
  const file = what === 'drain' ? 'drain.js' : 'redis.js'
  const mod = await import(resolve(dir, 'bench', file))
  return what === 'drain' ? (o) => mod.drainOnce(o) : (o) => mod.redisDrainOnce(o)
}
const sides = { before: await load(beforeDir), after: await load(afterDir) }
const concurrency = Number(process.env.AB_CONCURRENCY ?? 500)
const rates = { before: [], after: [] }
const cpu = { before: [], after: [] }
const redisCpu = { before: [], after: [] }
for (let i = 0; i < Number(runsArg); i++) {
  for (const side of ['before', 'after']) {
    const r = await sides[side]({ n: 50_000, concurrency })
    rates[side].push(Math.round(r.drainRate))
    // CPU µs per job of the worker process while draining, and of the Redis server (bench/ of
    // this clone: before-clones need its drain.js/redis.js/helpers.js copied in to report them).
    if (r.cpuPerJobUs !== undefined) cpu[side].push(r.cpuPerJobUs)
    if (r.redisCpuPerJobUs !== undefined) redisCpu[side].push(r.redisCpuPerJobUs)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const us = (xs) => (xs.length ? ` | CPU µs/job ${median(xs).toFixed(1)} (${xs.map((x) => x.toFixed(1)).join(' ')})` : '')
for (const side of ['before', 'after']) {
  console.log(`${what} c=${concurrency} ${side.padEnd(6)} ${rates[side].join(' ')}  median ${median(rates[side])} jobs/s${us(cpu[side])}${redisCpu[side].length ? ` | Redis${us(redisCpu[side]).slice(2)}` : ''}`)
}
