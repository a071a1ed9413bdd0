import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { ConfigError } from '../errors.js'

/** Folders never searched for task modules. */
const SKIP = new Set(['node_modules', '.git', '.tq', 'dist', 'build'])

/** Converts a glob (`**`, `*`, `?`, `{a,b}`) to a RegExp over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/'
      re += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '{') {
      const end = glob.indexOf('}', i)
      re += '(?:' + glob.slice(i + 1, end).split(',').map(escape).join('|') + ')'
      i = end
    } else re += escape(c)
  }
  return new RegExp(`^${re}$`)
}

const escape = (s: string) => s.replace(/[.+^$()|[\]\\]/g, '\\$&')

/**
 * Files under `root` matching any glob, sorted, as absolute paths. Type declarations are skipped.
 * With `mustMatch`, a glob that matches no file is a ConfigError naming it: a typo in `tasks`
 * would otherwise start a worker with no tasks and no word why.
 */
export function findFiles(root: string, globs: readonly string[], opts: { mustMatch?: boolean } = {}): string[] {
  const patterns = globs.map((g) => globToRegExp(g.replace(/^\.\//, '')))
  const matched = new Set<number>()
  const out: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name))
      } else if (entry.isFile() && !/\.d\.[cm]?ts$/.test(entry.name)) {
        const rel = relative(root, join(dir, entry.name)).split(sep).join('/')
        let hit = false
        for (let i = 0; i < patterns.length; i++) {
          if (!patterns[i]!.test(rel)) continue
          matched.add(i)
          hit = true
        }
        if (hit) out.push(join(dir, entry.name))
      }
    }
  }
  walk(root)
  const unmatched = opts.mustMatch ? globs.find((_, i) => !matched.has(i)) : undefined
  if (unmatched !== undefined) {
    throw new ConfigError(`tasks glob "${unmatched}" matched no file under ${root}`, 'fix tasks in the config (globs are relative to the config file), or remove that glob')
  }
  return out.sort()
}
