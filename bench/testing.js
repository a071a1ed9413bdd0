// tqjs/testing: (a) runUntilIdle() over 10,000 no-op jobs (enqueued beforehand, one enqueueMany),
// (b) createTestQueue() once the first has loaded the modules (the first is reported apart).
// In this process, on the built package; each figure the median of several runs.
import { dist, median } from './helpers.js'

export async function testingCost({ quick, log }) {
  const [{ task }, { createTestQueue }] = await Promise.all([dist('src/index.js'), dist('src/testing/index.js')])
  const noop = task('noop', async () => {})
  const tasks = [noop]

  let t = performance.now()
  const first = await createTestQueue({ tasks })
  const firstMs = performance.now() - t
  await first.close()
  const creates = []
  for (let i = 0; i < (quick ? 20 : 100); i++) {
    t = performance.now()
    const q = await createTestQueue({ tasks })
    creates.push(performance.now() - t)
    await q.close()
  }
  const create = median(creates)
  log(`  createTestQueue: first ${firstMs.toFixed(1)} ms, then median ${create.toFixed(2)} ms, worst ${Math.max(...creates).toFixed(2)} ms`)

  const JOBS = 10_000
  const drains = []
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    const q = await createTestQueue({ tasks })
    await q.enqueueMany(noop, Array.from({ length: JOBS }, () => null))
    t = performance.now()
    const ran = await q.runUntilIdle()
    drains.push((performance.now() - t) / 1000)
    if (ran !== JOBS) throw new Error(`runUntilIdle ran ${ran} jobs, not ${JOBS}`)
    await q.close()
  }
  const drain = median(drains)
  log(`  runUntilIdle over ${JOBS} no-op jobs: median ${drain.toFixed(3)} s (${drains.map((d) => d.toFixed(3)).join(', ')})`)
  return [
    { name: 'testing: runUntilIdle, 10,000 no-op jobs', value: drain, unit: 's', decimals: 3, max: 0.5, target: '≤ 0.5 s' },
    { name: 'testing: createTestQueue after the first', value: create, unit: 'ms', decimals: 2, max: 20, target: '≤ 20 ms', detail: ` (first ${firstMs.toFixed(1)} ms)` },
  ]
}
