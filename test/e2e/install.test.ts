/**
 * tq as a user gets it: `npm pack` of this checkout, the tarball installed by real npm into an
 * existing project (a package.json of npm init's shape and src/index.ts), then `tq init .` from
 * the installed package, tsc on the result, and tq dev running the example.
 *
 * Cost: installing the tarball compiles better-sqlite3 from source (~70 s on an idle 2-core
 * machine, over 2 minutes on a busy one), so the file packs and installs once, in beforeAll, and
 * its tests share that project in order. Other packages come from npm's cache (--prefer-offline).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join, relative } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanupTemp, ERROR_LINE, killAll, makeTempDir, REPO_ROOT, runTq, startTq, stderrLines } from '../helpers/tq.js'

afterEach(killAll)
afterAll(cleanupTemp)

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env }
    delete e.NODE_OPTIONS
    delete e.TQ_BROKER_URL
    execFile(cmd, args, { cwd, env: e, maxBuffer: 64 * 1024 * 1024, timeout: 900_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const USER_FILES: Record<string, string> = {
  // The shape `npm init -y` gives on npm 11, plus a dev script of the user's own.
  'package.json': JSON.stringify(
    { name: 'shop', version: '1.0.0', main: 'index.js', scripts: { dev: 'node src/index.ts', test: 'echo "Error: no test specified" && exit 1' }, license: 'ISC', type: 'commonjs' },
    null,
    2,
  ) + '\n',
  'src/index.ts': 'export const greeting: string = "hello"\n',
  'README.md': '# shop\n',
  '.gitignore': 'dist\n',
}

let tarball = ''
let dir = ''
let tq = ''

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'vendor', 'oclif', 'lib', 'index.js'))) throw new Error('dist/ is not built: run npm run build first (npm test does)')
  const packs = makeTempDir('tq-pack-')
  const pack = await run('npm', ['pack', '--json', '--pack-destination', packs], REPO_ROOT)
  expect(pack.code, pack.stderr).toBe(0)
  const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }]
  const paths = files.map((f) => f.path)
  for (const f of ['bin/run.js', 'oclif.manifest.json', 'dist/vendor/oclif/lib/index.js', 'templates/default/tsconfig.json', 'templates/default/gitignore']) expect(paths).toContain(f)
  tarball = join(packs, filename)

  dir = join(makeTempDir('tq-install-'), 'shop')
  for (const [rel, text] of Object.entries(USER_FILES)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true })
    writeFileSync(join(dir, rel), text)
  }
  const install = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], dir)
  expect(install.code, install.stderr).toBe(0)
  tq = join(dir, 'node_modules', '.bin', 'tq')
  expect(existsSync(tq)).toBe(true)
}, 900_000)

describe('installed from a packed tarball into an existing project', () => {
  it('tq init . adds tq, merges package.json and .gitignore, overwrites nothing, and says which is which', async () => {
    const r = await runTq(['init', '.'], { cwd: dir, bin: tq, timeoutMs: 600_000 })
    expect(r.code, r.stderr).toBe(0)
    // Untouched: the user's files, byte for byte.
    expect(readFileSync(join(dir, 'src/index.ts'), 'utf8')).toBe(USER_FILES['src/index.ts'])
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(USER_FILES['README.md'])
    // Added: tq's files; not the new-project web server.
    for (const f of ['tq.config.ts', 'tasks/example.ts', 'contracts/email.ts', 'tsconfig.json']) expect(existsSync(join(dir, f)), f).toBe(true)
    expect(existsSync(join(dir, 'src/server.ts'))).toBe(false)

    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>
    expect(pkg.scripts).toMatchObject({ dev: 'node src/index.ts', 'tq:dev': 'tq dev', worker: 'tq worker', beat: 'tq beat' })
    expect(pkg.dependencies!.tqjs).toBe(`file:${relative(dir, tarball)}`) // npm's own record, kept
    expect(Object.keys(pkg.devDependencies!)).toEqual(expect.arrayContaining(['typescript', '@types/node']))
    expect(pkg.allowScripts).toMatchObject({ 'better-sqlite3': true, esbuild: true })
    expect(pkg.type).toBe('commonjs')
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('dist\nnode_modules/\n.tq/\n')

    const out = r.stdout
    expect(out).toMatch(/^added:\n(  .+\n)*  tq\.config\.ts\n/m)
    expect(out).toMatch(/^merged:\n/m)
    expect(out).toMatch(/package\.json: scripts: tq:dev \(dev is yours\), worker, beat/)
    expect(out).toMatch(/\.gitignore: node_modules\/, \.tq\//)
    // npm's record of tqjs is the tarball this tq came from: kept, and not reported as a conflict.
    expect(out).not.toMatch(/tqjs/)
    // npm ran with the merged allowScripts: nothing about unapproved install scripts.
    expect(r.stderr).not.toMatch(/allowScripts/)

    // A second run changes nothing and says so.
    const before = readFileSync(join(dir, 'package.json'), 'utf8')
    const again = await runTq(['init', '.', '--no-install'], { cwd: dir, bin: tq })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).not.toMatch(/^(added|merged):/m)
    expect(again.stdout).toMatch(/tq\.config\.ts: yours/)
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe(before)
  })

  it('npx tsc --noEmit passes on the result, and checks a folder the user adds', async () => {
    const tsc = join(dir, 'node_modules', '.bin', 'tsc')
    const ok = await run(process.execPath, [tsc, '--noEmit'], dir)
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    mkdirSync(join(dir, 'scripts'), { recursive: true })
    writeFileSync(join(dir, 'scripts/bad.ts'), "import { sum } from '../tasks/example'\nexport const p = sum.enqueue({ numbers: 'one' })\n")
    const bad = await run(process.execPath, [tsc, '--noEmit'], dir)
    expect(bad.code).not.toBe(0)
    expect(bad.stdout).toMatch(/scripts\/bad\.ts.*TS2322/)
    writeFileSync(join(dir, 'scripts/bad.ts'), "import { sum } from '../tasks/example'\nexport const p = sum.enqueue({ numbers: [1] })\n")
    const fixed = await run(process.execPath, [tsc, '--noEmit'], dir)
    expect(fixed.code, fixed.stdout).toBe(0)
  })

  it('tq dev runs the example and tq enqueue --wait prints its result', async () => {
    const dev = startTq(['dev', '--no-beat'], { cwd: dir, bin: tq })
    await dev.waitForOutput(/reloads on save/, 60_000, 'stdout')
    const r = await runTq(['enqueue', 'math.sum', '{"numbers":[1,2,3]}', '--wait', '--timeout', '60s'], { cwd: dir, bin: tq })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ total: 6 })
  })

  it('tq init of a new project records the tarball tq came from, and npm resolves it', async () => {
    const other = join(dir, '..', 'other')
    const r = await runTq(['init', other, '--no-install'], { cwd: dir, bin: tq })
    expect(r.code, r.stderr).toBe(0)
    const pkg = JSON.parse(readFileSync(join(other, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    expect(pkg.dependencies.tqjs).toBe(`file:${tarball}`)
    // Resolution only: the native build was shown above.
    const install = await run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], other)
    expect(install.code, install.stderr).toBe(0)
    expect((JSON.parse(readFileSync(join(other, 'node_modules/tqjs/package.json'), 'utf8')) as { name: string }).name).toBe('tqjs')
  })

  it('a failed npm install during tq init says why, on one line', async () => {
    // A registry that has nothing: npm fails with E404 naming the package it could not get.
    const server: Server = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}'))
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
    try {
      const port = (server.address() as { port: number }).port
      const target = join(dir, '..', 'offline-app')
      const r = await runTq(['init', target], { cwd: dir, bin: tq, env: { npm_config_registry: `http://127.0.0.1:${port}/` }, timeoutMs: 300_000 })
      expect(r.code).toBe(1)
      const lines = stderrLines(r).filter((l) => l.startsWith('Error:'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(ERROR_LINE)
      expect(lines[0]).toMatch(/npm install failed in .*offline-app: E404 .*404 Not Found - GET http:\/\/127\.0\.0\.1:\d+\/(@types%2fnode|typescript)/)
      expect(lines[0]).not.toMatch(/complete log/)
    } finally {
      server.close()
    }
  })
})
