import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { TqError } from '../errors.js'
import { packageRoot } from '../paths.js'
import { missingIgnores } from './gitignore.js'
import { mergePackage } from './merge-package.js'
import { npmInstall, type Installed } from './npm-install.js'
import { tqDependency } from './tq-source.js'
import { coversTqFiles } from './tsconfig-cover.js'

export interface ScaffoldOptions {
  dir: string
  install: boolean
  /** Called with progress lines. */
  log?: (line: string) => void
}

export interface ScaffoldResult {
  dir: string
  /** true when the folder had a package.json: tq was added to an existing project. */
  existing: boolean
  /** Files written, relative to dir. */
  added: string[]
  /** Files of the user's that tq added to (`package.json: scripts: tq:dev (dev is yours)`). */
  merged: string[]
  /** What was left as the user had it, and what to do about it if anything. */
  leftAlone: string[]
  installed: Installed
}

/**
 * Template files an existing project does without: it has its own README, its own app, and its
 * own test runner (an example on vitest could clash with a project on Jest or node:test).
 */
const NEW_PROJECT_ONLY = new Set(['README.md', 'src/server.ts', 'test/example.test.ts'])
const IGNORES = ['node_modules/', '.tq/']

/**
 * Sets a folder up for tq. An empty or new folder gets the whole template; a folder with a
 * package.json (an existing project) gets tq's files and merges, and no file of the user's is
 * ever overwritten.
 */
export function scaffold(opts: ScaffoldOptions): ScaffoldResult {
  const dir = resolve(opts.dir)
  const existing = existsSync(join(dir, 'package.json'))
  if (!existing && existsSync(dir) && readdirSync(dir).some((f) => f !== '.git')) {
    throw new TqError(`${dir} has files but no package.json`, 'run npm init there first to add tq to it, or run tq init in a new or empty folder')
  }
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-_.]/g, '-') || 'tq-app'
  const dep = tqDependency()
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
    dependencies: { tqjs: dep },
    // tsc on TypeScript 5.9 and 7 alike (the tsconfig names "types": ["node"] for 7).
    devDependencies: { typescript: '^5.9.3', '@types/node': '^20.19.0', vitest: '4.1.12' },
    // npm 11 asks the root package to allow dependencies' install scripts: these build the SQLite driver and fetch esbuild's binary.
    allowScripts: { 'better-sqlite3': true, esbuild: true },
  }

  const result: ScaffoldResult = { dir, existing, added: [], merged: [], leftAlone: [], installed: 'skipped' }
  const userPkg = existing ? readPackage(join(dir, 'package.json')) : undefined
  const esm = userPkg ? userPkg.type === 'module' : true
  mkdirSync(dir, { recursive: true })
  const template = join(packageRoot, 'templates', 'default')
  for (const rel of listFiles(template)) {
    // npm drops .gitignore from published packages, so the template ships it without the dot.
    const target = rel === 'gitignore' ? '.gitignore' : rel
    if (existing && NEW_PROJECT_ONLY.has(target)) continue
    const to = join(dir, target)
    if (existsSync(to)) {
      if (target !== '.gitignore') result.leftAlone.push(leftAloneNote(target, to)) // merged below
      continue
    }
    mkdirSync(dirname(to), { recursive: true })
    cpSync(join(template, rel), to)
    if (target === 'README.md') writeFileSync(to, readFileSync(to, 'utf8').replaceAll('{{name}}', name))
    if (target === 'tsconfig.json' && !esm) writeFileSync(to, commonJsTsconfig(readFileSync(to, 'utf8')))
    result.added.push(target)
  }

  const gitignore = join(dir, '.gitignore')
  if (!result.added.includes('.gitignore')) {
    const missing = missingIgnores(readFileSync(gitignore, 'utf8'), IGNORES)
    if (missing.length) {
      const text = readFileSync(gitignore, 'utf8')
      appendFileSync(gitignore, (text === '' || text.endsWith('\n') ? '' : '\n') + missing.join('\n') + '\n')
      result.merged.push(`.gitignore: ${missing.join(', ')}`)
    }
  }

  if (userPkg) {
    // Neither src/server.ts nor the vitest example is added to an existing project (see NEW_PROJECT_ONLY).
    const { server: _server, test: _test, ...scripts } = pkg.scripts
    const { vitest: _vitest, ...devDependencies } = pkg.devDependencies
    // tq installed into this very project: its own record of tqjs (npm's relative file: path) is the same source.
    const theirs = (userPkg.dependencies as Record<string, string> | undefined)?.tqjs
    const same = theirs?.startsWith('file:') && dep.startsWith('file:') && resolve(dir, theirs.slice(5)) === dep.slice(5)
    const dependencies = same && theirs ? { tqjs: theirs } : pkg.dependencies
    const m = mergePackage(userPkg, { scripts, dependencies, devDependencies, allowScripts: pkg.allowScripts })
    if (m.merged.length) {
      writeFileSync(join(dir, 'package.json'), JSON.stringify(m.pkg, null, 2) + '\n')
      result.merged.push(...m.merged.map((l) => `package.json: ${l}`))
    }
    if (m.kept.length) result.leftAlone.push(`package.json: ${m.kept.join(', ')}`)
  } else {
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
    result.added.push('package.json')
  }
  result.added.sort()

  if (opts.install) result.installed = npmInstall(dir, dep, opts.log)
  return result
}

/** What a file the template would have written means now that the user's copy stays. */
function leftAloneNote(rel: string, file: string): string {
  if (rel === 'tsconfig.json' && !coversTqFiles(readFileSync(file, 'utf8'))) {
    return 'tsconfig.json: yours; to type-check tq\'s files add "tasks", "contracts" and "tq.config.ts" to its "include", and "types": ["node"] to its compilerOptions'
  }
  return `${rel}: yours`
}

/**
 * A package without "type": "module" makes Node16 resolution treat .ts files as CommonJS, which
 * cannot import tqjs (ESM only). tq bundles task modules with esbuild, so type-check them as a
 * bundler sees them.
 */
function commonJsTsconfig(text: string): string {
  return text.replace('"module": "Node16"', '"module": "preserve"').replace('"moduleResolution": "Node16"', '"moduleResolution": "bundler"')
}

function readPackage(file: string): Record<string, unknown> {
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as unknown
    if (pkg && typeof pkg === 'object' && !Array.isArray(pkg)) return pkg as Record<string, unknown>
  } catch {
    /* reported below */
  }
  throw new TqError(`${file} is not a JSON object`, 'fix its syntax (npm install would refuse it too), then run tq init again')
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
