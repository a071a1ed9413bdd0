import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs'
import { basename, join, resolve, sep } from 'node:path'
import { TqError } from '../errors.js'
import { packageRoot } from '../paths.js'

export interface ScaffoldOptions {
  dir: string
  install: boolean
  /** Called with progress lines. */
  log?: (line: string) => void
}

export interface ScaffoldResult {
  dir: string
  files: string[]
  installed: 'npm' | 'linked' | 'skipped'
}

/** Where the running tq comes from: a registry install (`^x.y.z`) or a local checkout (`file:`). */
function tqDependency(): string {
  const version = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version
  return packageRoot.split(sep).includes('node_modules') ? `^${version}` : `file:${packageRoot}`
}

/** Writes a new project from templates/default. Refuses a folder that already has files in it. */
export function scaffold(opts: ScaffoldOptions): ScaffoldResult {
  const dir = resolve(opts.dir)
  if (existsSync(dir) && readdirSync(dir).filter((f) => f !== '.git').length > 0) {
    throw new TqError(`${dir} is not empty`, 'run tq init in a new or empty folder, e.g. tq init my-app')
  }
  mkdirSync(dir, { recursive: true })
  const template = join(packageRoot, 'templates', 'default')
  cpSync(template, dir, { recursive: true })
  // npm drops .gitignore from published packages, so the template ships it without the dot.
  renameSync(join(dir, 'gitignore'), join(dir, '.gitignore'))
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-_.]/g, '-') || 'tq-app'
  const readme = join(dir, 'README.md')
  writeFileSync(readme, readFileSync(readme, 'utf8').replaceAll('{{name}}', name))
  const pkg = {
    name,
    version: '0.0.0',
    private: true,
    type: 'module',
    scripts: {
      dev: 'tq dev',
      worker: 'tq worker',
      beat: 'tq beat',
      server: 'node --import tqjs/register src/server.ts',
      test: 'vitest run',
    },
    dependencies: { tqjs: tqDependency() },
    devDependencies: { vitest: '4.1.12' },
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  const files = listFiles(dir)
  let installed: ScaffoldResult['installed'] = 'skipped'
  if (opts.install) installed = install(dir, pkg.dependencies.tqjs, opts.log)
  return { dir, files, installed }
}

function install(dir: string, dep: string, log?: (line: string) => void): ScaffoldResult['installed'] {
  log?.('installing dependencies (npm install)…')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const offline = dep.startsWith('file:') ? ['--offline'] : []
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', ...offline], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (r.status === 0) return 'npm'
  if (dep.startsWith('file:')) {
    // Offline and a local checkout: a link is all the project needs to import tqjs.
    mkdirSync(join(dir, 'node_modules'), { recursive: true })
    if (!existsSync(join(dir, 'node_modules', 'tqjs'))) symlinkSync(dep.slice(5), join(dir, 'node_modules', 'tqjs'), 'dir')
    return 'linked'
  }
  throw new TqError(`npm install failed in ${dir}: ${(r.stderr || '').trim().split('\n').pop()}`, 'run npm install there yourself, or tq init --no-install')
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...listFiles(dir, rel))
    else out.push(rel)
  }
  return out.sort()
}
