#!/usr/bin/env node
// Writes the dashboard's screenshots in docs/ui/*.png: a throwaway project with a few tasks
// (some fail, one reports progress, two schedules, a chord), `tq dev` serving it, headless
// Chromium (Debian's /usr/bin/chromium) photographing each page. Run: npm run docs:screenshots
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const OUT = join(ROOT, 'docs', 'ui')
const TQJS = pathToFileURL(join(ROOT, 'dist', 'src', 'index.js')).href
const dir = mkdtempSync(join(tmpdir(), 'tq-shots-'))
const write = (rel, text) => (mkdirSync(dirname(join(dir, rel)), { recursive: true }), writeFileSync(join(dir, rel), text))

write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db', worker: { concurrency: 8 } })\n`)
write('tasks/demo.ts', `import { task, schedule } from 'tqjs'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
export const welcome = task('email.welcome', async (p: { to: string }) => { await sleep(100 + Math.random() * 300); return { sent: true, to: p.to } }, { queue: 'emails' })
export const report = task('report.build', async (p: { day: string }, ctx) => {
  for (let i = 1; i <= 60; i++) { ctx.progress(i / 60); await sleep(1000) }
  return { rows: 1200 }
}, { queue: 'reports' })
const chargeSchema = {
  parse(v: unknown) {
    const o = v as { customer?: unknown; amount?: unknown } | null
    if (!o || typeof o.customer !== 'string') throw new Error('customer: expected a string')
    if (typeof o.amount !== 'number' || o.amount <= 0) throw new Error('amount: expected a positive number')
    return v
  },
}
export const charge = task('billing.charge', async (p: { customer: string; amount: number }) => {
  if (p.amount > 100) throw new Error('card declined: insufficient funds for ' + p.customer)
  return { charged: p.amount }
}, { retries: 1, backoff: { type: 'fixed', delay: '1s' }, schema: chargeSchema })
export const total = task('report.total', async (parts: { sent: boolean }[]) => ({ sent: parts.length }))
export const nightly = schedule('0 3 * * *', report, { tz: 'Europe/Paris', payload: { day: 'yesterday' } })
export const heartbeat = schedule({ every: '5s' }, welcome, { payload: { to: 'ops@example.com' } })
`)
write('produce.mjs', `import { connect, defineTask, chord } from ${JSON.stringify(TQJS)}
const welcome = defineTask('email.welcome', { queue: 'emails' }), charge = defineTask('billing.charge'), report = defineTask('report.build', { queue: 'reports' }), total = defineTask('report.total')
const tq = await connect()
// A trickle of mail over 20 seconds, so the chart has a shape.
for (let i = 0; i < 200; i++) {
  await tq.enqueue(welcome, { to: 'user' + i + '@example.com' })
  await new Promise((r) => setTimeout(r, 20 + 80 * Math.abs(Math.sin(i / 15))))
}
for (const [customer, amount] of [['acme', 40], ['globex', 250], ['initech', 180], ['umbrella', 20]]) await tq.enqueue(charge, { customer, amount })
await tq.enqueue(report, { day: '2026-12-01' })
await tq.enqueue(welcome, { to: 'later@example.com' }, { delay: '1h' })
const wf = await tq.enqueue(chord([welcome.s({ to: 'a@example.com' }), welcome.s({ to: 'b@example.com' }), welcome.s({ to: 'c@example.com' })], total.s()))
console.log(wf.id)
await tq.close()
`)

const tq = (args) => spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] })
const dev = tq(['dev', '--ui-port', '0'])
let out = ''
const url = await new Promise((res, rej) => {
  dev.stdout.on('data', (d) => {
    out += d
    const m = /ui\s+(http:\/\/\S+)/.exec(out)
    if (m) res(m[1])
  })
  dev.on('exit', () => rej(new Error(`tq dev exited:\n${out}`)))
})
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] })
try {
  const producer = spawn(process.execPath, ['produce.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  let wf = ''
  producer.stdout.on('data', (d) => (wf += d))
  await new Promise((r) => producer.on('exit', r))
  wf = wf.trim()
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, colorScheme: 'light' })
  const shot = async (route, name, ready) => {
    await page.goto(`${url}${route}`)
    await page.locator(ready).first().waitFor()
    await page.waitForTimeout(600) // let the chart and the live data settle before the picture
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false })
    console.log(`docs/ui/${name}.png`)
  }
  // Let jobs finish (and the charges fail for good) so the chart and the failures have something to show.
  await page.goto(url)
  await page.locator('[data-failure]').nth(1).waitFor({ timeout: 60_000 })
  await page.waitForTimeout(4000)
  await shot('', 'overview', '.queues-table')
  await shot('#/jobs', 'jobs', '.jobs-table tbody tr')
  const failed = await page.evaluate(async () => (await (await fetch('/api/jobs?state=failed&limit=1')).json()).jobs[0].id)
  await shot(`#/jobs/${failed}`, 'job-failed', '.error-box')
  await shot(`#/jobs/${wf}`, 'workflow', 'svg.graph')
  await shot('#/schedules', 'schedules', 'tr[data-schedule]')
  await shot('#/workers', 'workers', 'tr[data-worker]')
  await page.goto(`${url}#/enqueue?task=billing.charge`)
  await page.locator('select[name=task] option[value="billing.charge"]').waitFor({ state: 'attached' })
  await page.selectOption('select[name=task]', 'billing.charge')
  await page.fill('textarea[name=payload]', '{"customer": "acme", "amount": -5}')
  await page.getByRole('button', { name: 'Enqueue', exact: true }).click()
  await page.locator('[data-field=payload]').waitFor()
  await page.screenshot({ path: join(OUT, 'enqueue.png') })
  console.log('docs/ui/enqueue.png')
} finally {
  await browser.close()
  // Twice: report.build runs for a minute; the second signal puts it back and exits at once.
  dev.kill('SIGINT')
  setTimeout(() => dev.kill('SIGINT'), 500)
  await new Promise((r) => dev.on('exit', r))
  rmSync(dir, { recursive: true, force: true })
}
