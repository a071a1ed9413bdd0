import { Redis } from 'ioredis'
import { keyBase } from '../../src/broker/redis/url.js'
import { TEST_REDIS } from './helpers.js'

const FINAL = new Set(['succeeded', 'failed', 'cancelled', 'expired'])
const LIVE = new Set(['scheduled', 'queued', 'active'])

/**
 * Reads every key of a broker and checks that each index agrees with the job hashes.
 * Returns the problems found (empty when consistent) and the per-queue state tally.
 */
export async function checkInvariants(prefix: string): Promise<{ problems: string[]; tally: Map<string, Map<string, number>> }> {
  const redis = new Redis(TEST_REDIS)
  const base = keyBase(prefix)
  const problems: string[] = []
  const fail = (m: string) => problems.length < 50 && problems.push(m)
  try {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', prefix.replace(/[*?[\]\\]/g, '\\$&') + '*', 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    for (const k of keys) if (!k.startsWith(base)) fail(`key outside the base: ${k}`)
    const rel = keys.map((k) => k.slice(base.length))

    const jobs = new Map<string, Record<string, string>>()
    for (const r of rel.filter((k) => k.startsWith('job:'))) jobs.set(r.slice(4), await redis.hgetall(base + r))
    const zset = async (r: string) => {
      const flat = await redis.zrange(base + r, 0, -1, 'WITHSCORES')
      const m = new Map<string, number>()
      for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!, Number(flat[i + 1]))
      return m
    }
    const sameSet = (what: string, got: Iterable<string>, want: Iterable<string>) => {
      const g = new Set(got)
      const w = new Set(want)
      for (const x of g) if (!w.has(x)) fail(`${what}: has extra ${x}`)
      for (const x of w) if (!g.has(x)) fail(`${what}: misses ${x}`)
    }
    const all = [...jobs.values()]

    sameSet('jobs', (await zset('jobs')).keys(), jobs.keys())

    // The per-(state, queue) counters agree with the jobs, and nothing is left of old layouts.
    const kept = await redis.hgetall(base + 'counts')
    const want = new Map<string, number>()
    for (const j of all) want.set(`${j.state}:${j.queue}`, (want.get(`${j.state}:${j.queue}`) ?? 0) + 1)
    for (const [f, n] of Object.entries(kept)) if (Number(n) !== (want.get(f) ?? 0)) fail(`counts ${f} = ${n}, jobs say ${want.get(f) ?? 0}`)
    for (const [f, n] of want) if (kept[f] === undefined) fail(`counts has no ${f}, jobs say ${n}`)
    for (const r of rel) if (/^(state|task):/.test(r)) fail(`unexpected key ${r}`)

    const queues = new Set(all.map((j) => j.queue!))
    for (const r of rel) {
      const m = /^(ready|scheduled|expiring):(.*)$/.exec(r)
      if (m) queues.add(m[2]!)
    }
    for (const q of queues) {
      const ready = await zset(`ready:${q}`)
      const queued = all.filter((j) => j.queue === q && j.state === 'queued')
      // Member: run_at and seq, 16 digits each, then the id (see lib.lua ready_member).
      const member = (j: Record<string, string>) => `${String(Math.max(0, Number(j.run_at))).padStart(16, '0')}:${j.seq!.padStart(16, '0')}:${j.id}`
      sameSet(`ready:${q}`, ready.keys(), queued.map(member))
      for (const j of queued) if (ready.has(member(j)) && ready.get(member(j)) !== -Number(j.priority)) fail(`ready:${q}: ${j.id} has score ${ready.get(member(j))}`)
      const scheduled = await zset(`scheduled:${q}`)
      const sched = all.filter((j) => j.queue === q && j.state === 'scheduled')
      sameSet(`scheduled:${q}`, scheduled.keys(), sched.map((j) => j.id!))
      for (const j of sched) if (scheduled.get(j.id!) !== undefined && scheduled.get(j.id!) !== Number(j.run_at)) fail(`scheduled:${q}: ${j.id} score differs from run_at`)
      sameSet(`expiring:${q}`, (await zset(`expiring:${q}`)).keys(), all.filter((j) => j.queue === q && (j.state === 'queued' || j.state === 'scheduled') && j.expires_at).map((j) => j.id!))
    }

    // Workflows: the waiting sets hold the waiting steps, each workflow's set its steps, and a
    // waiting step's counter is the number of the jobs it waits for that have not ended.
    for (const q of queues) sameSet(`waiting:${q}`, (await zset(`waiting:${q}`)).keys(), all.filter((j) => j.queue === q && j.state === 'waiting').map((j) => j.id!))
    for (const r of rel.filter((k) => k.startsWith('workflow:'))) {
      const w = r.slice('workflow:'.length)
      sameSet(r, (await zset(r)).keys(), all.filter((j) => j.workflow_id === w).map((j) => j.id!))
    }
    for (const j of all.filter((x) => x.state === 'waiting')) {
      // A dependency purged or pruned away counts as ended (the broker reads it as expired).
      const open = (JSON.parse(j.depends_on ?? '[]') as string[]).filter((d) => !FINAL.has(jobs.get(d)?.state ?? 'expired')).length
      if (Number(j.pending) !== open) fail(`${j.id} waits with pending ${j.pending}, but ${open} of its dependencies have not ended`)
    }
    for (const j of all) if (j.task === 'tq.workflow' && (j.state === 'active' || j.state === 'queued')) fail(`the workflow job ${j.id} is ${j.state}`)

    const leases = await zset('leases')
    sameSet('leases', leases.keys(), all.filter((j) => j.state === 'active').map((j) => j.id!))
    // A lease's expiry lives only in the leases set; it runs out after the attempt started.
    for (const j of all) if (j.state === 'active' && !(leases.get(j.id!)! > Number(j.started_at))) fail(`leases: ${j.id} expires before it started`)
    for (const s of FINAL) {
      const fin = await zset(`finished:${s}`)
      sameSet(`finished:${s}`, fin.keys(), all.filter((j) => j.state === s).map((j) => j.id!))
    }
    sameSet('result-expiry', (await zset('result-expiry')).keys(), all.filter((j) => j.result_expires_at).map((j) => j.id!))
    for (const r of rel.filter((k) => k.startsWith('children:'))) {
      const p = r.slice('children:'.length)
      sameSet(r, (await zset(r)).keys(), all.filter((j) => j.parent_id === p).map((j) => j.id!))
    }

    const held = await redis.hgetall(base + 'keys')
    for (const [k, id] of Object.entries(held)) {
      const j = jobs.get(id)
      if (!j || !LIVE.has(j.state!) || j.key !== k) fail(`keys: ${k} -> ${id}, which is ${j ? `${j.state} with key ${j.key}` : 'missing'}`)
    }
    for (const j of all) if (j.key && LIVE.has(j.state!) && !held[j.key]) fail(`live job ${j.id} with key ${j.key}, but nobody holds the key`)

    const tally = new Map<string, Map<string, number>>()
    for (const j of all) {
      const m = tally.get(j.queue!) ?? new Map<string, number>()
      tally.set(j.queue!, m.set(j.state!, (m.get(j.state!) ?? 0) + 1))
    }
    return { problems, tally }
  } finally {
    redis.disconnect()
  }
}
