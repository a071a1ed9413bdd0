/**
 * The dashboard in a real browser (headless Chromium), served by the real `tq dev`, on SQLite and
 * on Redis: the overview, a failed job's error, retry and the job succeeding without a reload,
 * the enqueue form (bad JSON and a schema refusal shown in place, nothing written; then a job),
 * an unknown job's page, paging and finding a job by prefix.
 */
import { writeFileSync } from 'node:fs'
import type { Page } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, killAll, runTq } from '../helpers/tq.js'
import { deletePrefix, uniquePrefix, urlWith } from '../redis/helpers.js'
import { sharedBrowser } from './browser.js'
import { dashboardProject, startDev } from './project.js'

const chromium = sharedBrowser()
afterEach(async () => {
  await killAll()
  cleanupTemp()
})

interface Backend {
  name: string
  /** Extra args for tq commands, and cleanup afterwards. */
  setup(): { args: string[]; cleanup: () => Promise<void> }
}

const BACKENDS: Backend[] = [
  { name: 'SQLite', setup: () => ({ args: [], cleanup: async () => undefined }) },
  {
    name: 'Redis',
    setup: () => {
      const prefix = uniquePrefix()
      return { args: ['--broker', urlWith({ prefix })], cleanup: async () => void (await deletePrefix(prefix)) }
    },
  },
]

async function jobsOf(page: Page, task: string): Promise<unknown[]> {
  return page.evaluate(async (t) => (await (await fetch(`/api/jobs?task=${t}`)).json()).jobs, task)
}

describe.each(BACKENDS)('the dashboard on $name', (backend) => {
  it('shows a failure with its error, retries it and watches it succeed without a reload; the enqueue form checks the payload in place', async () => {
    const { args, cleanup } = backend.setup()
    try {
      const project = dashboardProject()
      const { url } = await startDev(project, args)
      const page = await chromium.page()
      await page.goto(url)
      // The overview lists the worker's queue before any job exists.
      await page.locator('.queues-table tr[data-queue="default"]').waitFor()
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42))

      const marker = project.path('fixed')
      const enq = await runTq(['enqueue', 'demo.flaky', JSON.stringify({ marker }), ...args], { cwd: project.dir })
      expect(enq.code, enq.stderr).toBe(0)
      const id = enq.stdout.trim()

      // The failure arrives on the open overview by itself, with its error.
      const failure = page.locator(`[data-failure="${id}"]`)
      await failure.getByText('Error: boom: the marker file is missing').waitFor()
      await failure.getByRole('link', { name: 'demo.flaky' }).click()
      await page.locator('.job-head .state-failed').waitFor()
      await page.locator('.error-title').getByText('boom: the marker file is missing').waitFor()
      expect(await page.locator('.error-box .stack').textContent()).toContain('demo.ts')

      // Fix the cause, retry: the page follows the job to succeeded without reloading.
      writeFileSync(marker, '')
      await page.getByRole('button', { name: 'Retry' }).click()
      await page.locator('.job-head .state-succeeded').waitFor()
      await page.locator('.result').getByText('"fixed": true').waitFor()
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42)

      // The enqueue form: not JSON, then a payload the schema refuses: shown under the field, nothing written.
      await page.getByRole('link', { name: 'Enqueue', exact: true }).click()
      await page.locator('select[name=task] option[value="demo.greet"]').waitFor({ state: 'attached' })
      await page.selectOption('select[name=task]', 'demo.greet')
      await page.fill('textarea[name=payload]', '{"to": ')
      await page.getByRole('button', { name: 'Enqueue', exact: true }).click()
      await page.locator('[data-field=payload]').getByText('payload is not valid JSON').waitFor()
      await page.fill('textarea[name=payload]', '{"to": 5}')
      await page.getByRole('button', { name: 'Enqueue', exact: true }).click()
      await page.locator('[data-field=payload]').getByText('to must be a string').waitFor()
      expect(await jobsOf(page, 'demo.greet')).toEqual([])

      await page.fill('textarea[name=payload]', '{"to": "ada"}')
      await page.getByRole('button', { name: 'Enqueue', exact: true }).click()
      await page.locator('.success a').click()
      await page.locator('.job-head .state-succeeded').waitFor()
      await page.locator('.result').getByText('"hello": "ada"').waitFor()
      expect(await jobsOf(page, 'demo.greet')).toHaveLength(1)
      expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42)
      await page.close()
    } finally {
      await killAll()
      await cleanup()
    }
  })

  it('pauses a queue, cancels a waiting job and purges after asking, re-runs a finished job, and shows job text as text', async () => {
    const { args, cleanup } = backend.setup()
    try {
      const project = dashboardProject()
      const { url } = await startDev(project, args)
      const page = await chromium.page()
      await page.goto(url)
      const row = page.locator('.queues-table tr[data-queue="default"]')
      await row.getByRole('button', { name: 'Pause' }).click()
      await row.locator('.paused').waitFor()

      // Paused: the job waits; cancel it from its page, after the question.
      const enq = await runTq(['enqueue', 'demo.greet', '{"to":"held"}', ...args], { cwd: project.dir })
      const held = enq.stdout.trim()
      await page.goto(`${url}#/jobs/${held}`)
      await page.locator('.job-head .state-queued').waitFor()
      await page.getByRole('button', { name: 'Cancel…' }).click()
      await page.getByRole('dialog').getByRole('button', { name: 'Keep' }).click()
      await page.getByRole('dialog').waitFor({ state: 'detached' })
      await page.getByRole('button', { name: 'Cancel…' }).click()
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel the job' }).click()
      await page.locator('.job-head .state-cancelled').waitFor()

      // Resume; a job runs; re-run it: a new job, same payload, also succeeds.
      await page.goto(url)
      await row.getByRole('button', { name: 'Resume' }).click()
      await row.locator('.paused').waitFor({ state: 'detached' })
      const done = (await runTq(['enqueue', 'demo.greet', '{"to":"again"}', ...args], { cwd: project.dir })).stdout.trim()
      await page.goto(`${url}#/jobs/${done}`)
      await page.locator('.job-head .state-succeeded').waitFor()
      await page.getByRole('button', { name: 'Re-run' }).click()
      await page.waitForURL((u) => u.hash.startsWith('#/jobs/') && !u.hash.endsWith(done))
      await page.locator('.job-head .state-succeeded').waitFor()
      await page.locator('.payload').getByText('"to": "again"').waitFor()
      expect(await jobsOf(page, 'demo.greet')).toHaveLength(3)

      // An error carrying an escape sequence and markup shows as text: ESC visible, no element made.
      const evil = (await runTq(['enqueue', 'demo.evil', ...args], { cwd: project.dir })).stdout.trim()
      await page.goto(`${url}#/jobs/${evil}`)
      await page.locator('.error-title').getByText('\u241b[2J<b id="injected">bold</b>').waitFor()
      expect(await page.locator('#injected').count()).toBe(0)

      // Purge the succeeded jobs of default, after the question: the failure stays.
      await page.goto(url)
      await row.getByRole('button', { name: 'Purge…' }).click()
      const dialog = page.getByRole('dialog')
      await dialog.locator('select').selectOption('succeeded')
      await dialog.getByRole('button', { name: 'Delete' }).click()
      await page.getByRole('status').getByText('deleted 2 job(s) from default').waitFor()
      expect(await jobsOf(page, 'demo.greet')).toHaveLength(1)
      expect(await jobsOf(page, 'demo.evil')).toHaveLength(1)
      await page.close()
    } finally {
      await killAll()
      await cleanup()
    }
  })

  it('says so for an unknown job id, finds a job by prefix, and pages through jobs', async () => {
    const { args, cleanup } = backend.setup()
    try {
      const project = dashboardProject()
      project.write('batch.ndjson', Array.from({ length: 60 }, (_, i) => JSON.stringify({ to: `p${i}` })).join('\n'))
      const { url } = await startDev(project, [...args, '--concurrency', '4'])
      const batch = await runTq(['enqueue', 'demo.greet', '--batch', 'batch.ndjson', '--json', ...args], { cwd: project.dir })
      expect(batch.code, batch.stderr).toBe(0)
      const ids = (JSON.parse(batch.stdout) as { ids: string[] }).ids
      const page = await chromium.page()

      await page.goto(`${url}#/jobs/no-such-job`)
      await page.getByText('Job not found').waitFor()
      await page.locator('.not-found code').getByText('no-such-job').waitFor()

      // Filter from the boxes: a task typed and applied with Enter, a state chosen.
      await page.goto(`${url}#/jobs`)
      await page.fill('input[name=task]', 'demo.greet')
      await page.press('input[name=task]', 'Enter')
      await page.waitForURL(/task=demo\.greet/)
      await page.selectOption('select[name=state]', 'succeeded')
      await page.waitForURL(/state=succeeded.*task=demo\.greet|task=demo\.greet.*state=succeeded/)
      await page.locator('.jobs-table tbody tr').nth(49).waitFor()
      expect(await page.locator('.jobs-table tbody tr').count()).toBe(50)
      await page.getByRole('button', { name: 'Older →' }).click()
      await page.getByText('page 2').waitFor()
      await page.locator('.jobs-table tbody tr').nth(9).waitFor()
      expect(await page.locator('.jobs-table tbody tr').count()).toBe(10)
      expect(await page.getByRole('button', { name: 'Older →' }).isDisabled()).toBe(true)

      // Find a job as tq job does: an ambiguous prefix (ids made in one batch share their time
      // prefix) says so in place; the short id tq prints (the last characters) opens the job.
      await page.fill('input[name=find]', ids[7]!.slice(0, 8))
      await page.getByRole('button', { name: 'Open' }).click()
      await page.locator('.field-error').getByText('is ambiguous').waitFor()
      await page.fill('input[name=find]', ids[7]!.slice(-8))
      await page.getByRole('button', { name: 'Open' }).click()
      await page.locator('.id-line').getByText(ids[7]!).waitFor()
      await page.close()
    } finally {
      await killAll()
      await cleanup()
    }
  })
})
