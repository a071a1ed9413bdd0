import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, listJobs, makeTempDir, REPO_ROOT, runTq, stderrLines } from '../helpers/tq.js'

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
    // JSON with comments (tsc reads them): what it covers and how to change that is written in it.
    const tsconfig = readFileSync(join(dir, 'tsconfig.json'), 'utf8')
    expect(tsconfig).toMatch(/"types": \["node"\]/)
    expect(tsconfig).toMatch(/"include": \["\*\*\/\*\.ts"\]/)
    expect(tsconfig).toMatch(/\/\/ .*add it to "exclude"/)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
    expect(pkg.dependencies).toEqual({ tqjs: `file:${REPO_ROOT}` })
    expect(Object.keys(pkg.devDependencies!).sort()).toEqual(['@types/node', 'typescript', 'vitest'])
    expect(pkg.allowScripts).toEqual({ 'better-sqlite3': true, esbuild: true })
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

  it('run again in its project, adds nothing and changes nothing', async () => {
    const parent = makeTempDir()
    const r0 = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(r0.code, r0.stderr).toBe(0)
    const dir = join(parent, 'app')
    const snapshot = () => Object.fromEntries(['package.json', '.gitignore', 'tsconfig.json', 'tq.config.ts', 'tasks/example.ts'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
    const before = snapshot()
    const r = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toMatch(/^(added|merged):/m)
    expect(r.stdout).toMatch(/^✓ app already has tq: nothing changed$/m)
    expect(r.stdout).toMatch(/^left alone:\n(  .+\n)*  tq\.config\.ts: yours\n/m)
    expect(snapshot()).toEqual(before)
  })

  it('adds tq to an existing project: merges scripts and dependencies, appends .gitignore, keeps the user\'s tsconfig and says how to include tq\'s files', async () => {
    const dir = makeTempDir()
    const userPkg = { name: 'shop', version: '2.0.0', type: 'module', scripts: { dev: 'vite', worker: 'node w.js' }, dependencies: { zod: '^3.0.0' }, devDependencies: { typescript: '~5.4.0' } }
    const userTsconfig = '{\n  // mine\n  "compilerOptions": { "strict": true },\n  "include": ["src"],\n}\n'
    writeFileSync(join(dir, 'package.json'), JSON.stringify(userPkg, null, 2) + '\n')
    writeFileSync(join(dir, 'tsconfig.json'), userTsconfig)
    writeFileSync(join(dir, '.gitignore'), '/.tq\n')
    mkdirSync(join(dir, 'src'))
    writeFileSync(join(dir, 'src/index.ts'), 'export {}\n')
    const r = await runTq(['init', '.', '--no-install'], { cwd: dir })
    expect(r.code, r.stderr).toBe(0)
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>
    expect(pkg.scripts).toEqual({ dev: 'vite', worker: 'node w.js', 'tq:dev': 'tq dev', 'tq:worker': 'tq worker', beat: 'tq beat' })
    expect(pkg.dependencies).toEqual({ tqjs: expect.stringMatching(/^file:\//), zod: '^3.0.0' })
    expect(pkg.devDependencies).toEqual({ '@types/node': expect.any(String), typescript: '~5.4.0' })
    expect(pkg.version).toBe('2.0.0')
    expect(readFileSync(join(dir, 'tsconfig.json'), 'utf8')).toBe(userTsconfig)
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('/.tq\nnode_modules/\n')
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toBe('export {}\n')
    expect(existsSync(join(dir, 'src/server.ts'))).toBe(false)
    // Nor the vitest example: the project may test with something else.
    expect(existsSync(join(dir, 'test/example.test.ts'))).toBe(false)
    expect(r.stdout).toMatch(/package\.json: scripts: tq:dev \(dev is yours\), tq:worker \(worker is yours\), beat/)
    expect(r.stdout).toMatch(/package\.json: typescript ~5\.4\.0 \(yours\)/)
    expect(r.stdout).toMatch(/tsconfig\.json: yours; to type-check tq's files add "tasks", "contracts" and "tq\.config\.ts" to its "include"/)

    // The adopted project runs: the example task through a burst worker.
    const id = await runTq(['enqueue', 'math.sum', '{"numbers":[2,3]}'], { cwd: dir })
    expect(id.code, id.stderr).toBe(0)
    const w = await runTq(['worker', '--burst'], { cwd: dir, timeoutMs: 30_000 })
    expect(w.code, w.stderr).toBe(0)
    const jobs = await listJobs(dir)
    expect(jobs.map((j) => [j.task, j.state, j.result])).toEqual([['math.sum', 'succeeded', { total: 5 }]])
  })

  it('refuses a folder with files but no package.json, and a package.json that is not JSON, writing nothing', async () => {
    const dir = makeTempDir()
    writeFileSync(join(dir, 'notes.txt'), 'hi\n')
    const r = await runTq(['init', '.', '--no-install'], { cwd: dir })
    expect(r.code).toBe(1)
    expect(stderrLines(r)).toEqual([expect.stringMatching(ERROR_LINE)])
    expect(stderrLines(r)[0]).toMatch(/has files but no package\.json \(run npm init there first/)
    expect(readdirSync(dir)).toEqual(['notes.txt'])

    writeFileSync(join(dir, 'package.json'), '{ "name": ')
    const bad = await runTq(['init', '.', '--no-install'], { cwd: dir })
    expect(bad.code).toBe(1)
    expect(stderrLines(bad)).toEqual([expect.stringMatching(/^Error: .*package\.json is not a JSON object \(fix its syntax/)])
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'package.json'])
  })
})
