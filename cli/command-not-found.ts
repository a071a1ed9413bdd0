import type { Hook } from '#oclif'
import { closeEnough, editDistance } from '../src/util/edit-distance.js'

/**
 * The commands closest to what was typed: all at the smallest distance, if that distance is
 * small for the word's length (a third of it, at least one edit), so `start` suggests nothing
 * rather than `beat`.
 */
export function closestCommands(typed: string, ids: readonly string[]): string[] {
  const scored = ids.map((id) => [id, editDistance(typed, id)] as const)
  const best = Math.min(...scored.map(([, d]) => d))
  if (!closeEnough(typed, best)) return []
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
