import type { Hook } from '@oclif/core'

/** `tq enqueu …`: one line naming the closest command, exit 2 (a usage error). */
const hook: Hook<'command_not_found'> = async function (opts) {
  const typed = opts.id.split(':')[0]!
  const ids = opts.config.commandIDs
  const distance = (a: string, b: string): number => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
    for (let j = 1; j <= b.length; j++) d[0]![j] = j
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    return d[a.length]![b.length]!
  }
  const best = ids.map((id) => [id, distance(typed, id)] as const).sort((a, b) => a[1] - b[1])[0]
  const hint = best && best[1] <= 3 ? `did you mean tq ${best[0]}? run tq --help for all commands` : 'run tq --help for all commands'
  process.stderr.write(`Error: unknown command "${typed}" (${hint})\n`)
  process.exit(2)
}

export default hook
