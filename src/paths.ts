import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The tqjs package folder (holding package.json), found from this file wherever it runs from. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tqjs') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('tqjs: cannot find its own package.json')
    dir = up
  }
})()

/**
 * A compiled file of tq's own. Worker threads and task bundles need JavaScript on disk, so they
 * always use `dist/` (tests run from TypeScript sources but build first).
 */
export function distFile(rel: string): string {
  return join(packageRoot, 'dist', 'src', rel)
}
