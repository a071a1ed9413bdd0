/**
 * `tq dev` serves the dashboard by default and says where (the banner's ui line, the JSON ready
 * event's `ui`); `--no-ui` serves nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, killAll, startTq } from '../helpers/tq.js'
import { http } from './http.js'
import { dashboardProject } from './project.js'

afterEach(async () => {
  await killAll()
  cleanupTemp()
})

describe('tq dev and the dashboard', () => {
  it('prints the dashboard address in the JSON ready event, and the address serves it', async () => {
    const project = dashboardProject()
    const dev = startTq(['dev', '--json', '--ui-port', '0'], { cwd: project.dir })
    await dev.waitForOutput(/"event":"ready"/, 60_000, 'stdout')
    const ready = JSON.parse(dev.stdout.split('\n').find((l) => l.includes('"event":"ready"'))!) as { ui?: string }
    expect(ready.ui).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const page = await http(ready.ui!)
    expect(page.status).toBe(200)
    expect(page.body).toContain('<div id="app">')
  })

  it('with --no-ui, serves no dashboard and prints no address', async () => {
    const project = dashboardProject()
    const dev = startTq(['dev', '--no-ui'], { cwd: project.dir })
    await dev.waitForOutput(/enqueue: tq enqueue/, 60_000, 'stdout')
    expect(dev.stdout).not.toMatch(/\bui\s+http/)
  })
})
