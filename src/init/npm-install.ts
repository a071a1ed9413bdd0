import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { TqError } from '../errors.js'

export type Installed = 'npm' | 'linked' | 'skipped'

/**
 * Runs `npm install` in a new project. A failure is one line naming npm's cause (its first
 * `npm error` lines: the code and what it could not get), not npm's last line ("A complete log
 * of this run can be found in…").
 */
export function npmInstall(dir: string, tqDep: string, log?: (line: string) => void): Installed {
  log?.('installing dependencies (npm install)…')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  // Prefer the local cache: a project made from a local tq installs offline when it can.
  const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (r.status === 0) return 'npm'
  if (tqDep.startsWith('file:') && !tqDep.endsWith('.tgz')) {
    // No network and a tq checkout: a link is all the project needs to run tq.
    mkdirSync(join(dir, 'node_modules'), { recursive: true })
    if (!existsSync(join(dir, 'node_modules', 'tqjs'))) symlinkSync(tqDep.slice(5), join(dir, 'node_modules', 'tqjs'), 'dir')
    return 'linked'
  }
  throw new TqError(`npm install failed in ${dir}: ${npmCause(r.stderr ?? '', r.error)}`, 'fix that, then run npm install there; the project files are written')
}

/** npm's first error lines, joined: `E404 404 Not Found - GET https://…/tqjs - 'tqjs@^0.1.0' is not in this registry`. */
export function npmCause(stderr: string, spawnError?: Error): string {
  if (spawnError) return spawnError.message
  const lines = stderr
    .split('\n')
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/complete log of this run|^A complete log|^\/.*\.log$/i.test(l))
  const cause = lines.slice(0, 4).join(' - ').replace(/^code /, '')
  return cause || stderr.trim().split('\n').pop() || 'no error output'
}
