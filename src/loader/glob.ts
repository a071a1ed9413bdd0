import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

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

/** Files under `root` matching any glob, sorted, as absolute paths. Type declarations are skipped. */
export function findFiles(root: string, globs: readonly string[]): string[] {
  const patterns = globs.map((g) => globToRegExp(g.replace(/^\.\//, '')))
  const out: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name))
      } else if (entry.isFile() && !/\.d\.[cm]?ts$/.test(entry.name)) {
        const rel = relative(root, join(dir, entry.name)).split(sep).join('/')
        if (patterns.some((p) => p.test(rel))) out.push(join(dir, entry.name))
      }
    }
  }
  walk(root)
  return out.sort()
}
