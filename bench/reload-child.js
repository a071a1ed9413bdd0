// Runs in its own process with the Node flags the tq binary uses (see reload.js), so the RSS it
// reports is tq dev's, not the benchmark runner's. Prints one JSON line.
import { writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'

const [dir, editsArg, warmupArg] = process.argv.slice(2)
const edits = Number(editsArg)
const warmup = Number(warmupArg)
const dist = (rel) => import(new URL(`../dist/${rel}`, import.meta.url).href)
const taskCode = (v) => `import { task } from 'tqjs'
import { label } from './helper.js'
export const which = task('which', async () => ({ v: ${v}, label: label() }))
`
const { DevSession } = await dist('src/dev/dev-session.js')
const { DevLog } = await dist('src/dev/dev-log.js')
const { Client } = await dist('src/app/client.js')
const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1])
const session = new DevSession({ cwd: dir, beat: false }, new DevLog(new Writable({ write: (_c, _e, cb) => cb() })))
await session.start()
const client = new Client(session.broker)

let version = 0
async function edit() {
  const v = ++version
  const t0 = performance.now()
  writeFileSync(join(dir, 'tasks', 'which.ts'), taskCode(v))
  // The next job that returns the new value is the moment the new code runs.
  for (;;) {
    const r = await (await client.enqueue('which', null)).result({ timeout: '10s' })
    if (r.v === v) return performance.now() - t0
    await new Promise((res) => setTimeout(res, 2))
  }
}

/**
 * RSS once the old pool has ended and after a full GC: otherwise a sample lands anywhere in
 * the main heap's GC cycle (±15 MB here), or while an old pool's threads are still alive.
 */
async function settledRss() {
  await new Promise((res) => setTimeout(res, 500))
  globalThis.gc()
  await new Promise((res) => setTimeout(res, 50))
  return process.memoryUsage().rss
}

const rssStart = process.memoryUsage().rss
for (let i = 0; i < warmup; i++) await edit()
const rssWarm = await settledRss()
const threadsWarm = threads()
const latencies = []
for (let i = 0; i < edits; i++) latencies.push(await edit())
const rssAfter = await settledRss()
await session.stop()
console.log(JSON.stringify({ latencies, rssStart, rssWarm, rssAfter, threadsWarm, threadsAfter: threads() }))
