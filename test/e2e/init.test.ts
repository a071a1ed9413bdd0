import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, listJobs, makeTempDir, runTq, stderrLines } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

describe('tq init', () => {
  it('scaffolds config, tasks (incl. email.welcome), server, tsconfig and a .gitignore with .tq/; the project runs as is', async () => {
    const parent = makeTempDir()
    const r = await runTq(['init', 'my-app', '--no-install'], { cwd: parent })
    expect(r.code, r.stderr).toBe(0)
    const dir = join(parent, 'my-app')

    for (const f of ['tq.config.ts', 'tasks/example.ts', 'src/server.ts', 'tsconfig.json', '.gitignore']) {
      expect(existsSync(join(dir, f)), `${f} exists`).toBe(true)
    }
    expect(readFileSync(join(dir, 'tq.config.ts'), 'utf8')).toMatch(/defineConfig/)
    const example = readFileSync(join(dir, 'tasks/example.ts'), 'utf8') + readFileSync(join(dir, 'contracts/email.ts'), 'utf8')
    const taskNames = [...example.matchAll(/\b(?:task|defineTask<[^(]*>)\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1])
    expect(taskNames.length).toBeGreaterThanOrEqual(2)
    expect(taskNames).toContain('email.welcome')
    const gitignore = readFileSync(join(dir, '.gitignore'), 'utf8').split('\n').map((l) => l.trim())
    expect(gitignore.some((l) => l === '.tq/' || l === '.tq' || l === '/.tq/' || l === '/.tq')).toBe(true)
    JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'))
    // --no-install: no dependencies installed
    expect(existsSync(join(dir, 'node_modules'))).toBe(false)

    // The scaffold works without node_modules: 'tqjs' resolves to the tq that runs it.
    const id = await runTq(['enqueue', 'email.welcome', '{"to":"a@b.c"}'], { cwd: dir })
    expect(id.code, id.stderr).toBe(0)
    const jobId = id.stdout.trim()
    expect(jobId).toMatch(/\S+/)
    const w = await runTq(['worker', '--burst'], { cwd: dir, timeoutMs: 30_000 })
    expect(w.code, w.stderr).toBe(0)
    const jobs = await listJobs(dir)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]!.id).toBe(jobId)
    expect(jobs[0]!.state).toBe('succeeded')
  })

  it('refuses a folder that is not empty, and leaves it as it was', async () => {
    const parent = makeTempDir()
    const r0 = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(r0.code, r0.stderr).toBe(0)
    const before = readdirSync(join(parent, 'app')).sort()
    const r = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(r.code).not.toBe(0)
    expect(stderrLines(r)).toHaveLength(1)
    expect(stderrLines(r)[0]).toMatch(ERROR_LINE)
    expect(readdirSync(join(parent, 'app')).sort()).toEqual(before)
  })
})
