// Enqueue throughput on the SQLite broker: one job per call (one transaction each) and bulk
// batches of 1000, through the Broker interface and through the Client API.
import { dist, fmtInt, median, newJob, openSqlite, removeDir, tempDir, timed } from './helpers.js'
import { join } from 'node:path'

/** Runs `body(broker, client)` on a fresh database `reps` times; returns each run's seconds. */
async function onFreshDb(label, reps, body) {
  const { Client } = await dist('src/app/client.js')
  const times = []
  for (let r = 0; r < reps; r++) {
    const dir = tempDir(label)
    const broker = await openSqlite(join(dir, 'tq.db'))
    try {
      times.push(await timed(() => body(broker, new Client(broker))))
    } finally {
      await broker.close()
      removeDir(dir)
    }
  }
  return times
}

const rate = (n, times) => {
  const rates = times.map((s) => n / s)
  const spread = rates.length > 1 ? ` (runs: ${rates.map(fmtInt).join(', ')})` : ''
  return { value: median(rates), detail: spread }
}

export async function singleEnqueue({ quick }) {
  const n = quick ? 5_000 : 20_000
  const reps = quick ? 1 : 3
  const viaBroker = await onFreshDb('single', reps, async (broker) => {
    for (let i = 0; i < n; i++) await broker.enqueue([newJob('noop', '{}')])
  })
  const viaClient = await onFreshDb('single-client', reps, async (_broker, client) => {
    for (let i = 0; i < n; i++) await client.enqueue('noop', {})
  })
  // A web server's shape: 50 callers in one process, each enqueueing one job at a time. The
  // client's group commit lets their enqueues share transactions.
  const callers = 50
  const concurrent = await onFreshDb('single-50', reps, async (_broker, client) => {
    await Promise.all(Array.from({ length: callers }, async () => {
      for (let i = 0; i < n / callers; i++) await client.enqueue('noop', {})
    }))
  })
  return [
    { name: `single enqueue, broker.enqueue([job]) x ${fmtInt(n)}`, unit: 'jobs/s', target: '>= 45,000 jobs/s', min: 45_000, ...rate(n, viaBroker) },
    { name: `single enqueue, client.enqueue('noop', {}) x ${fmtInt(n)}`, unit: 'jobs/s', target: '>= 45,000 jobs/s', min: 45_000, ...rate(n, viaClient) },
    { name: `single enqueue from ${callers} concurrent callers, client.enqueue x ${fmtInt(n)}`, unit: 'jobs/s', ...rate(n, concurrent) },
  ]
}

export async function bulkEnqueue({ quick }) {
  const n = quick ? 50_000 : 200_000
  const batch = 1000
  const reps = quick ? 1 : 3
  const viaBroker = await onFreshDb('bulk', reps, async (broker) => {
    for (let i = 0; i < n; i += batch) {
      const now = Date.now()
      const jobs = Array.from({ length: batch }, () => newJob('noop', '{}', now))
      await broker.enqueue(jobs)
    }
  })
  const payloads = Array.from({ length: batch }, () => ({}))
  const viaClient = await onFreshDb('bulk-client', reps, async (_broker, client) => {
    for (let i = 0; i < n; i += batch) await client.enqueueMany('noop', payloads)
  })
  return [
    { name: `bulk enqueue, broker.enqueue(1000 jobs) -> ${fmtInt(n)}`, unit: 'jobs/s', target: '>= 400,000 jobs/s', min: 400_000, ...rate(n, viaBroker) },
    { name: `bulk enqueue, client.enqueueMany(1000) -> ${fmtInt(n)}`, unit: 'jobs/s', target: '>= 400,000 jobs/s', min: 400_000, ...rate(n, viaClient) },
  ]
}
