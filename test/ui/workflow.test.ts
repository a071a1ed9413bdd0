/**
 * A workflow's graph on the job page, in headless Chromium: a chord (two greetings, then a step
 * that takes both results) enqueued by a real producer, each step a box coloured by its state,
 * edges from what it waits for; the boxes turn green as the steps succeed, without a reload.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, killAll, REPO_ROOT, runNode } from '../helpers/tq.js'
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'
import { sharedBrowser } from './browser.js'
import { dashboardProject, startDev } from './project.js'

const TQJS = pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'index.js')).href
const PRODUCER = `import { connect, defineTask, chord } from ${JSON.stringify(TQJS)}
const greet = defineTask('demo.greet')
const echo = defineTask('demo.echo')
const tq = await connect()
const handle = await tq.enqueue(chord([greet.s({ to: 'a' }), greet.s({ to: 'b' })], echo.s()))
console.log(handle.id)
await tq.close()
`

const chromium = sharedBrowser()
afterEach(async () => {
  await killAll()
  cleanupTemp()
})

describe.each([
  { name: 'SQLite', redis: false },
  { name: 'Redis', redis: true },
])('the workflow graph on $name', ({ redis }) => {
  it('draws every step of a chord with its edges and follows them to succeeded', async () => {
    const prefix = uniquePrefix()
    const broker = redis ? urlWith({ prefix }) : undefined
    try {
      const project = dashboardProject()
      project.write('produce.mjs', PRODUCER)
      const { url } = await startDev(project, broker ? ['--broker', broker] : [])
      const page = await chromium.page()
      // A paused queue holds the steps, so the page sees them waiting first.
      await page.goto(url)
      await page.locator('tr[data-queue="default"]').getByRole('button', { name: 'Pause' }).click()
      await page.locator('tr[data-queue="default"] .paused').waitFor()

      const r = await runNode(['produce.mjs'], { cwd: project.dir, env: broker ? { TQ_BROKER_URL: broker } : {} })
      expect(r.code, r.stderr).toBe(0)
      const workflowId = r.stdout.trim()

      await page.goto(`${url}#/jobs/${workflowId}`)
      const graph = page.locator('svg.graph')
      await graph.waitFor()
      // Two greetings, the body, the join: four boxes in three columns; edges greeting → body (two), body → join.
      await graph.locator('g.node').nth(3).waitFor()
      expect(await graph.locator('g.node').count()).toBe(4)
      expect(await graph.locator('path.edge').count()).toBe(3)
      expect(await graph.locator('g.node-succeeded').count()).toBe(0)
      const xs = await graph.locator('g.node').evaluateAll((nodes) => [...new Set(nodes.map((n) => n.getAttribute('transform')!.split(',')[0]))].length)
      expect(xs).toBe(3)

      // Resumed from the API while the job page stays open: the boxes turn green as the steps end.
      await page.evaluate(() => fetch('/api/queues/default/resume', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }))
      await graph.locator('g.node-succeeded').nth(3).waitFor()
      await page.locator('.job-head .state-succeeded').waitFor()
      await page.close()
    } finally {
      await killAll()
      if (redis) await deletePrefix(prefix)
    }
  })
})
