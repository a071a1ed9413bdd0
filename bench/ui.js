// The dashboard with 1,000,000 jobs in a SQLite broker (1 % failed): how long the Jobs page's
// first page takes (the API call it makes, and in headless Chromium from navigation to 50 rows
// drawn), and how long after a job changes an open job page shows it (a live update: the
// broker's change notification, the server's one read, the event, the page's read).
// Run after `npm run build`: node bench/run.js ui  (ui-redis: the same on Redis; --quick: 100,000
// jobs). Needs /usr/bin/chromium.
import { dist, removeDir, tempDir } from './helpers.js'
import { deletePrefix, newPrefix } from './redis.js'

const job = (i, queue) => ({ task: `task.${i % 7}`, queue, payload: '{"n":1}', priority: 0, runAt: Date.now(), maxAttempts: 1 })
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]

/** Writes `n` finished jobs through the Broker interface (as bench/status.js does), 1 % failed. */
async function seed(broker, n, queues) {
  const BATCH = 20_000
  for (let i = 0; i < n; i += BATCH) {
    await broker.enqueue(Array.from({ length: BATCH }, (_, k) => job(i + k, queues[(i + k) % queues.length])))
    for (;;) {
      const claimed = (await broker.claim({ workerId: 'bulk', queues, limit: 1000, leaseMs: 60_000 })).jobs
      if (claimed.length === 0) break
      await broker.settle(
        claimed.map((c, k) =>
          k % 100 === 0
            ? { id: c.id, token: c.token, kind: 'failed', error: { name: 'Error', message: 'boom', attempt: 1 } }
            : { id: c.id, token: c.token, kind: 'succeeded', result: '{"ok":true}' },
        ),
      )
    }
  }
}

export const ui = (opts) => dashboard(opts, false)
export const uiRedis = (opts) => dashboard(opts, true)

async function dashboard({ quick, log }, redis) {
  const total = quick ? 100_000 : 1_000_000
  const dir = tempDir('ui')
  const { prefix, url } = redis ? newPrefix() : { url: 'sqlite://.tq/tq.db' }
  const { openBroker } = await dist('src/broker/open-broker.js')
  const { startUiServer } = await dist('src/ui/server.js')
  const { chromium } = await import('playwright-core')
  const broker = await openBroker(url, dir)
  // A second connection changes jobs, as a worker or the CLI would.
  const other = await openBroker(url, dir)
  const on = redis ? ' (Redis)' : ''
  const queues = ['default', 'emails', 'reports']
  let server
  let browser
  try {
    await seed(broker, total, queues)
    log(`  ${total.toLocaleString('en-US')} jobs written`)
    server = await startUiServer({ broker, port: 0 })
    const api = async (path) => {
      const t = performance.now()
      const res = await fetch(`${server.url}${path}`)
      await res.json()
      return performance.now() - t
    }
    const rows = []
    for (const [what, path] of [
      ['/api/jobs (the Jobs page, newest 50)', 'api/jobs?limit=50&offset=0'],
      ['/api/jobs?state=failed', 'api/jobs?state=failed&limit=50&offset=0'],
      ['/api/jobs?queue=emails', 'api/jobs?queue=emails&limit=50&offset=0'],
      ['/api/jobs page 100 (offset 4,950)', 'api/jobs?limit=50&offset=4950'],
      ['/api/overview', 'api/overview'],
    ]) {
      await api(path)
      const times = []
      for (let i = 0; i < 15; i++) times.push(await api(path))
      rows.push({ name: `${what}${on}, ${total.toLocaleString('en-US')} jobs, median of 15`, unit: 'ms', value: median(times), decimals: 1, detail: ` (max ${Math.max(...times).toFixed(1)})`, ...(what.startsWith('/api/jobs (') ? { target: '<= 300 ms', max: 300 } : {}) })
    }

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] })
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.locator('.queues-table').waitFor()
    // The Jobs page, from navigation to its first 50 rows drawn (assets cached, as on a second visit).
    const shown = []
    for (let i = 0; i < 10; i++) {
      await page.goto(`${server.url}#/`)
      await page.locator('.queues-table').waitFor()
      const t = performance.now()
      await page.goto(`${server.url}#/jobs?state=succeeded&r=${i}`)
      await page.locator('.jobs-table tbody tr').nth(49).waitFor()
      shown.push(performance.now() - t)
    }
    rows.push({ name: `Jobs page in Chromium${on}: navigation to 50 rows drawn, ${total.toLocaleString('en-US')} jobs, median of 10`, unit: 'ms', value: median(shown), decimals: 1, target: '<= 300 ms', max: 300, detail: ` (max ${Math.max(...shown).toFixed(1)})` })

    // Live: a queued job's page is open; another connection cancels it; the page records when its badge changes.
    const lags = []
    for (let i = 0; i < 20; i++) {
      const [{ id }] = await broker.enqueue([job(i, 'paused-q')])
      await page.goto(`${server.url}#/jobs/${id}`)
      await page.locator('.job-head .state-queued').waitFor()
      const seen = page.evaluate(
        () =>
          new Promise((resolve) => {
            const check = () => document.querySelector('.job-head .state-cancelled') && (observer.disconnect(), resolve(Date.now()))
            const observer = new MutationObserver(check)
            observer.observe(document.body, { subtree: true, childList: true, characterData: true })
            check()
          }),
      )
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 200))
      const t0 = Date.now()
      await other.cancel([id])
      lags.push((await seen) - t0)
    }
    rows.push({ name: `live update${on}: job cancelled by another connection → its open page shows it, median of 20`, unit: 'ms', value: median(lags), decimals: 0, target: '<= 500 ms', max: 500, detail: ` (p95 ${p95(lags)}, max ${Math.max(...lags)})` })
    return rows
  } finally {
    await browser?.close()
    await server?.close()
    await other.close()
    await broker.close()
    if (redis) await deletePrefix(prefix)
    removeDir(dir)
  }
}
