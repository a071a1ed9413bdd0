import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, killAll, makeProject, runTq } from '../helpers/tq.js'

const TASKS = { 'tasks/ping.ts': `import { task } from 'tqjs'\nexport const ping = task('ping', async () => 'pong')\n` }
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('private state', () => {
  afterEach(() => killAll())
  afterAll(() => cleanupTemp())

  it('an existing .tq (0755) and database (0644) become 0700 and 0600 once a command opens them', async () => {
    const project = makeProject({ files: TASKS })
    expect((await runTq(['enqueue', 'ping', '{}'], { cwd: project.dir })).code).toBe(0)
    chmodSync(project.path('.tq'), 0o755)
    chmodSync(project.path('.tq/build'), 0o755)
    chmodSync(project.db, 0o644)
    const r = await runTq(['jobs'], { cwd: project.dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(modeOf(project.path('.tq'))).toBe('700')
    expect(modeOf(project.path('.tq/build'))).toBe('700')
    expect(modeOf(project.db)).toBe('600')
  })

  it('a database opened by its URL (no .tq folder) is made 0600 too', async () => {
    const project = makeProject({ files: TASKS })
    mkdirSync(project.path('data'))
    const url = `sqlite://${join(project.dir, 'data', 'q.db')}`
    expect((await runTq(['enqueue', 'ping', '{}', '--broker', url], { cwd: project.dir })).code).toBe(0)
    chmodSync(project.path('data/q.db'), 0o644)
    expect((await runTq(['jobs', '--broker', url], { cwd: project.dir })).code).toBe(0)
    expect(modeOf(project.path('data/q.db'))).toBe('600')
  })

  it('the build folder keeps no copy of the bundled config (it holds the broker password) after many loads', async () => {
    const project = makeProject({ files: TASKS })
    for (let i = 0; i < 5; i++) {
      // A different config each time: each load bundles it anew.
      project.write('tq.config.ts', `import { defineConfig } from 'tqjs'\nexport default defineConfig({ broker: 'sqlite://.tq/tq.db', beat: { maxCatchUp: ${i + 1} } })\n`)
      const r = await runTq(['enqueue', 'ping', '{}'], { cwd: project.dir })
      expect(r.code, r.stderr).toBe(0)
    }
    const built = readdirSync(project.path('.tq/build'))
    expect(built.filter((f) => f.startsWith('config'))).toEqual([])
    for (const f of built) expect(modeOf(join(project.path('.tq/build'), f))).toBe('600')
  })
})
