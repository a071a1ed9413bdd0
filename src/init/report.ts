import type { Colors } from '../format/colors.js'
import type { ScaffoldResult } from './scaffold.js'

/** What `tq init` prints: what it added, merged and left alone, then the next commands. */
export function initReport(result: ScaffoldResult, where: string, c: Colors): string {
  // Run again on a project that has everything, it changed nothing: say that, not "added".
  const changed = result.added.length > 0 || result.merged.length > 0
  const head = !result.existing ? `created ${where}` : changed ? `added tq to ${where}` : `${where} already has tq: nothing changed`
  const out: string[] = [`${c.green('✓')} ${head}`]
  const list = (title: string, items: string[]) => {
    if (items.length) out.push(`${title}:`, ...items.map((i) => `  ${i}`))
  }
  list('added', result.added)
  list('merged', result.merged)
  list('left alone', result.leftAlone)
  const cd = where === '.' ? '' : `cd ${where} && `
  // Without the install, `npx tq` would look for a registry package named "tq": install first.
  const install = result.installed === 'skipped' ? `npm install   ${c.gray('# installs tq (tqjs) into the project')}\n  ` : ''
  out.push('', 'next:', `  ${cd}${install}npx tq dev`, `  npx tq enqueue email.welcome '{"to":"a@b.c"}' --wait   ${c.gray('# in another terminal')}`, '')
  return out.join('\n')
}
