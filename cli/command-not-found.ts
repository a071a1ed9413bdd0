import type { Hook } from '#oclif'

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment), so `jbos` is one edit from `jobs`, not two.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The commands closest to what was typed: all at the smallest distance, if that distance is
 * small for the word's length (a third of it, at least one edit), so `start` suggests nothing
 * rather than `beat`.
 */
export function closestCommands(typed: string, ids: readonly string[]): string[] {
  const scored = ids.map((id) => [id, editDistance(typed, id)] as const)
  const best = Math.min(...scored.map(([, d]) => d))
  if (best > Math.max(1, Math.floor(typed.length / 3))) return []
  return scored.filter(([, d]) => d === best).map(([id]) => id)
}

/** `tq enqueu …`: one line naming the closest commands, exit 2 (a usage error). */
const hook: Hook<'command_not_found'> = async function (opts) {
  const typed = opts.id.split(':')[0]!
  const close = closestCommands(typed, opts.config.commandIDs)
  const hint = close.length ? `did you mean ${close.map((id) => `tq ${id}`).join(' or ')}? run tq --help for all commands` : 'run tq --help for all commands'
  process.stderr.write(`Error: unknown command "${typed}" (${hint})\n`)
  process.exit(2)
}

export default hook
