/**
 * The dashboard's guards, against the real `tq ui`: a non-loopback bind needs a token and every
 * request must carry it (401 and no data otherwise; a first visit with ?token= trades it for a
 * cookie in a real browser); without a token, writes must be same-origin JSON and the Host must
 * be loopback; no page or API response carries the broker's password; and when the broker goes
 * away the open page shows a banner, then recovers by itself when it is back; so it does when the
 * tq ui server itself goes and comes back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, freePort, killAll, killProcess, killRedisServers, runTq, startRedisServer, startTq } from '../helpers/tq.js'
import { sharedBrowser } from './browser.js'
import { firstEvent, http } from './http.js'
import { dashboardProject } from './project.js'

const chromium = sharedBrowser()
afterEach(async () => {
  await killAll()
  await killRedisServers()
  cleanupTemp()
})

/** `tq ui` on a free port; resolves with the address it printed (with ?token= when there is one). */
async function startUi(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const ui = startTq(['ui', '--port', '0', ...args], { cwd, env })
  await ui.waitForOutput(/tq ui\s+http:\/\/\S+/, 60_000, 'stdout')
  return /tq ui\s+(http:\/\/\S+)/.exec(ui.stdout)![1]!
}

describe('tq ui guards', () => {
  it('refuses a non-loopback bind without a token; with one, every request must carry it', async () => {
    const project = dashboardProject()
    const enq = await runTq(['enqueue', 'demo.greet', '{"to":"secret-queue-data"}', '--queue', 'q-visible-only-with-token'], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)

    const refused = await runTq(['ui', '--host', '0.0.0.0', '--port', '0'], { cwd: project.dir })
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/needs a token.*--token <secret> or set TQ_UI_TOKEN/)

    const token = 'tok-e2e-7f3a'
    const printed = await startUi(project.dir, ['--host', '0.0.0.0'], { TQ_UI_TOKEN: token })
    expect(printed).toMatch(new RegExp(`\\?token=${token}$`))
    const base = printed.replace(/\?token=.*$/, '')

    // Missing or wrong token: 401, and nothing of the broker's data.
    for (const headers of [{}, { Authorization: 'Bearer wrong' }, { 'X-TQ-Token': `${token}x` }, { Cookie: 'tq_ui_token=nope' }]) {
      for (const path of ['', 'api/overview', 'api/jobs', `api/jobs/${enq.stdout.trim()}`, 'api/workers', 'api/events', 'assets/x.js']) {
        const r = await http(`${base}${path}`, { headers })
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401)
        expect(r.body).not.toContain('q-visible-only-with-token')
        expect(r.body).not.toContain('secret-queue-data')
      }
      const purge = await http(`${base}api/purge`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{"all":true}' })
      expect(purge.status).toBe(401)
    }
    expect((await http(`${base}?token=wrong`)).status).toBe(401)
    const ok = await http(`${base}api/overview`, { headers: { Authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(ok.body).toContain('q-visible-only-with-token')

    // A browser: refused without the token; the printed address sets the cookie and drops the token from the address bar.
    const page = await chromium.page()
    const first = await page.goto(base)
    expect(first!.status()).toBe(401)
    expect(await page.content()).not.toContain('q-visible-only-with-token')
    await page.goto(printed)
    expect(page.url()).not.toContain('token')
    await page.locator('tr[data-queue="q-visible-only-with-token"]').waitFor()
    await page.close()
  })

  it('shows no broker password anywhere, refuses cross-site writes, and recovers when the broker comes back', async () => {
    const password = 'hunter2-ui-secret'
    const redis = await startRedisServer({ password })
    const project = dashboardProject()
    const broker = redis.url({ prefix: 'tqui:', connectTimeout: '1s' }, `:${password}@`)
    const enq = await runTq(['enqueue', 'demo.greet', '{"to":"x"}', '--broker', broker], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)
    const id = enq.stdout.trim()
    const url = await startUi(project.dir, ['--broker', broker])

    const html = await http(url)
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html.body)![1]!
    const replies = [html, await http(`${url.replace(/\/$/, '')}${script}`)]
    for (const path of ['api/overview', 'api/jobs', `api/jobs/${id}`, 'api/workers', 'api/schedules', 'api/tasks', 'api/find?q=nothing', 'api/nope']) replies.push(await http(`${url}${path}`))
    const events = await firstEvent(url)
    expect(events.text).toContain('redis://:***@127.0.0.1')
    for (const r of [...replies.map((r) => r.body), events.text]) expect(r).not.toContain(password)

    const page = await chromium.page()
    for (const route of ['', '#/jobs', `#/jobs/${id}`, '#/workers', '#/schedules', '#/enqueue']) {
      await page.goto(`${url}${route}`)
      await page.locator('.broker').getByText('redis://:***@').waitFor()
      expect(await page.content()).not.toContain(password)
    }

    // Cross-site writes and a rebound Host name are refused, and purge deleted nothing.
    const host = new URL(url).host
    expect((await http(`${url}api/purge`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"all":true}' })).status).toBe(403)
    expect((await http(`${url}api/purge`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: '{"all":true}' })).status).toBe(403)
    expect((await http(`${url}api/overview`, { headers: { Host: 'evil.example' } })).status).toBe(403)
    expect((await http(`${url}api/jobs/${id}`, { headers: { Host: host } })).status).toBe(200)

    // The broker goes away: a banner; it comes back: the banner goes, without a reload.
    await page.goto(url)
    await page.locator('tr[data-queue="default"]').waitFor()
    await redis.kill()
    await page.getByRole('alert').getByText('The broker is not answering').waitFor()
    await redis.start()
    await page.getByRole('alert').getByText('The broker is not answering').waitFor({ state: 'detached' })
    await page.locator('.live-dot.on').waitFor()
    await page.close()
  })

  it('says so when the tq ui server goes, and reconnects by itself when it is back', async () => {
    const project = dashboardProject()
    const enq = await runTq(['enqueue', 'demo.greet', '{"to":"x"}'], { cwd: project.dir })
    expect(enq.code, enq.stderr).toBe(0)
    const port = await freePort()
    const start = async () => {
      const ui = startTq(['ui', '--port', String(port)], { cwd: project.dir })
      await ui.waitForOutput(/tq ui\s+http:\/\/\S+/, 60_000, 'stdout')
      return ui
    }
    const first = await start()
    const page = await chromium.page()
    await page.goto(`http://127.0.0.1:${port}/`)
    await page.locator('tr[data-queue="default"]').waitFor()
    await killProcess(first)
    await page.getByRole('alert').getByText('Lost the connection to the tq ui server').waitFor()
    await start()
    await page.getByRole('alert').getByText('Lost the connection').waitFor({ state: 'detached' })
    await page.locator('.live-dot.on').waitFor()
    await page.close()
  })
})
