import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupTemp, makeTempDir, REPO_ROOT, runTq } from '../helpers/tq.js'

afterAll(cleanupTemp)

/** Runs a command to its end (no deadline: a hang guard is vitest's), capturing both streams. */
function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CI: '1' }
  for (const k of ['NODE_OPTIONS', 'TQ_BROKER_URL', 'VITEST', 'VITEST_MODE', 'VITEST_POOL_ID', 'VITEST_WORKER_ID', 'NODE_ENV']) delete env[k]
  const child = spawn(cmd, args, { cwd, env })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })))
}

describe('the scaffold tests itself', () => {
  it('tq init writes test/example.test.ts, and the new project\'s npm test (vitest) passes', async () => {
    const parent = makeTempDir()
    const r = await runTq(['init', 'app', '--no-install'], { cwd: parent })
    expect(r.code, r.stderr).toBe(0)
    const dir = join(parent, 'app')
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    expect(pkg.scripts.test).toBe('vitest run')
    expect(pkg.devDependencies.vitest).toBe('4.1.12')
    expect(readFileSync(join(dir, 'test', 'example.test.ts'), 'utf8')).toMatch(/createTestQueue/)

    // Offline stand-in for `npm install`: tqjs is this checkout, the rest the repository's own packages.
    const nm = join(dir, 'node_modules')
    mkdirSync(nm)
    const repoModules = join(REPO_ROOT, 'node_modules')
    for (const entry of readdirSync(repoModules)) symlinkSync(join(repoModules, entry), join(nm, entry))
    symlinkSync(REPO_ROOT, join(nm, 'tqjs'), 'dir')

    const test = await run('npm', ['test'], dir)
    expect(test.out).toMatch(/Tests\s+4 passed \(4\)/)
    expect(test.code, test.out).toBe(0)
    // And the test file type-checks in the project, as the user's editor sees it.
    const tsc = await run(process.execPath, [join(nm, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir)
    expect(tsc.code, tsc.out).toBe(0)
    expect(existsSync(join(dir, '.tq', 'tq.db'))).toBe(false)
  })
})
