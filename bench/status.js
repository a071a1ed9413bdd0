// Cost of a status refresh with a large history: 1M finished jobs (1% failed) plus live work, in a
// SQLite broker, created only through the Broker interface so the broker's counters stay true.
import { dist, removeDir, tempDir } from './helpers.js'

const job = (i, queue) => ({ task: `task.${i % 7}`, queue, payload: '{"n":1}', priority: 0, runAt: Date.now(), maxAttempts: 1 })

export async function status({ quick, log }) {
  const finished = quick ? 100_000 : 1_000_000
  const dir = tempDir('status')
  const { openBroker } = await dist('src/broker/open-broker.js')
  const { buildSnapshot } = await dist('src/status/snapshot.js')
  const broker = await openBroker('sqlite://.tq/tq.db', dir)
  try {
    const queues = ['default', 'emails', 'reports']
    const BATCH = 20_000
    for (let i = 0; i < finished; i += BATCH) {
      await broker.enqueue(Array.from({ length: BATCH }, (_, k) => job(i + k, queues[(i + k) % 3])))
      for (;;) {
        const claimed = (await broker.claim({ workerId: 'bulk', queues, limit: 1000, leaseMs: 60_000 })).jobs
        if (claimed.length === 0) break
        await broker.settle(
          claimed.map((c, n) =>
            n % 100 === 0
              ? { id: c.id, token: c.token, kind: 'failed', error: { name: 'Error', message: 'boom', attempt: 1 } }
              : { id: c.id, token: c.token, kind: 'succeeded', result: '{"ok":true}' },
          ),
        )
      }
    }
    log(`  ${finished.toLocaleString('en-US')} finished jobs written`)
    const now = Date.now()
    await broker.enqueue(Array.from({ length: 50 }, (_, i) => job(i, 'default')))
    const claimed = (await broker.claim({ workerId: 'w', queues: ['default'], limit: 10, leaseMs: 60_000 })).jobs
    for (const c of claimed) await broker.progress(c.id, c.token, '0.5')
    await broker.heartbeat({ id: 'w', host: 'h', pid: 1, queues, concurrency: 10, running: claimed.map((c) => c.id), startedAt: now, lastBeatAt: now })
    const times = []
    for (let i = 0; i < 15; i++) {
      const t = performance.now()
      await buildSnapshot(broker, { failures: 50 })
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    return [
      {
        name: `status refresh (snapshot) with ${finished.toLocaleString('en-US')} finished jobs, median of 15`,
        unit: 'ms',
        value: times[7],
        decimals: 1,
        target: '<= 50 ms',
        max: 50,
        detail: ` (min ${times[0].toFixed(1)}, max ${times[14].toFixed(1)})`,
      },
    ]
  } finally {
    await broker.close()
    removeDir(dir)
  }
}
