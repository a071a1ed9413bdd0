// Enqueue-to-start latency on an idle worker. The producer stamps each payload with the
// machine's monotonic clock just before enqueueing; the task returns (its own clock reading -
// the stamp) in ms, so the figure is "enqueue called" to "handler running in a task thread".
// One job at a time: enqueue, wait for the result, pause briefly so the worker is idle again.
import { dist, fmtMs, LATENCY_TASK, makeProject, openSqlite, percentile, removeDir, sampleMemory, sleep, spawnWorker, waitForOutput } from './helpers.js'

async function sample(client, { warmup, samples }) {
  const lat = []
  const roundTrip = []
  for (let i = 0; i < warmup + samples; i++) {
    await sleep(2 + (i % 4)) // let the worker go back to sleep in its idle wait
    const t0 = process.hrtime.bigint()
    const handle = await client.enqueue('lat', { t: String(t0) })
    const ms = await handle.result({ timeout: '10s' })
    const rt = Number(process.hrtime.bigint() - t0) / 1e6
    if (i >= warmup) (lat.push(ms), roundTrip.push(rt))
  }
  return { lat: lat.sort((a, b) => a - b), roundTrip: roundTrip.sort((a, b) => a - b) }
}

function rows(label, { lat, roundTrip }) {
  const p = (xs, q) => fmtMs(percentile(xs, q))
  return [
    { name: `enqueue-to-start p50, ${label}`, unit: 'ms', value: percentile(lat, 50), decimals: 2, target: '<= 1 ms', max: 1 },
    { name: `enqueue-to-start p99, ${label}`, unit: 'ms', value: percentile(lat, 99), decimals: 2, target: '<= 5 ms', max: 5, detail: ` (max ${p(lat, 100)})` },
    { name: `  enqueue-to-result seen by producer, ${label}`, unit: 'ms', value: percentile(roundTrip, 50), decimals: 2, target: '', detail: ` p50 (p99 ${p(roundTrip, 99)}, max ${p(roundTrip, 100)})` },
  ]
}

/** Worker in its own process (`tq worker`), producer here. */
export async function latencyProcess({ quick }) {
  const opts = { warmup: quick ? 20 : 50, samples: quick ? 100 : 300 }
  const project = makeProject('latency', { lat: LATENCY_TASK })
  const { Client } = await dist('src/app/client.js')
  let w
  let broker
  try {
    // Create the database first so producer and worker start on the same file.
    broker = await openSqlite(project.dbFile)
    w = spawnWorker(project.dir, ['--quiet'])
    await waitForOutput(w, 'tq worker')
    const res = await sample(new Client(broker), opts)
    const { rssMB } = sampleMemory(w.child.pid).stop()
    return [
      ...rows(`worker process (${opts.samples} samples)`, res),
      { name: '  worker RSS when idle (after the samples)', unit: 'MB', value: rssMB, target: '' },
    ]
  } finally {
    if (w && w.child.exitCode === null) {
      w.child.kill('SIGTERM')
      await w.exited
    }
    await broker?.close()
    removeDir(project.dir)
  }
}

/** Worker engine in this process, sharing the producer's broker. */
export async function latencyInProcess({ quick }) {
  const opts = { warmup: quick ? 20 : 50, samples: quick ? 100 : 300 }
  const project = makeProject('latency-inproc', { lat: LATENCY_TASK })
  const { Client } = await dist('src/app/client.js')
  const { loadProject } = await dist('src/loader/project.js')
  const { startWorker } = await dist('src/worker/run-worker.js')
  let engine
  let broker
  try {
    const p = await loadProject({ cwd: project.dir })
    broker = await openSqlite(project.dbFile)
    engine = await startWorker(p, broker, {})
    const res = await sample(new Client(broker), opts)
    return rows(`same process (${opts.samples} samples)`, res)
  } finally {
    await engine?.stop(1000)
    await broker?.close()
    removeDir(project.dir)
  }
}
