import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { packageRoot } from '../paths.js'

/**
 * The dependency a new project records for tqjs: the same source the running tq was installed
 * from, so `npm install` in that project resolves it.
 * - a checkout or a folder install (npm links folders, so tq runs from the folder itself): `file:<folder>`
 * - a tarball install: `file:<absolute path of the tarball>`, read from the installing project's
 *   package.json or lockfile (npm records it relative to that project)
 * - a registry install: `^<version>`
 */
export function tqDependency(root = packageRoot): string {
  const version = readJson<{ version: string }>(join(root, 'package.json'))?.version ?? '0.0.0'
  if (!root.split(sep).includes('node_modules')) return `file:${root}`
  return installedFrom(root) ?? `^${version}`
}

/** A `file:` spec the project that installed tq recorded for it, made absolute; else undefined. */
function installedFrom(root: string): string | undefined {
  const modules = dirname(root)
  if (basename(modules) !== 'node_modules') return undefined
  const project = dirname(modules)
  const pkg = readJson<Record<string, Record<string, string> | undefined>>(join(project, 'package.json'))
  const declared = pkg?.dependencies?.tqjs ?? pkg?.devDependencies?.tqjs ?? pkg?.optionalDependencies?.tqjs
  // The hidden lockfile also covers installs with no package.json of their own (npm i -g, npx).
  const lock = readJson<{ packages?: Record<string, { resolved?: string }> }>(join(modules, '.package-lock.json'))
  for (const spec of [declared, lock?.packages?.['node_modules/tqjs']?.resolved]) {
    if (!spec?.startsWith('file:')) continue
    const path = spec.slice(5)
    const abs = isAbsolute(path) ? path : resolve(project, path)
    if (existsSync(abs)) return `file:${abs}`
  }
  return undefined
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}
