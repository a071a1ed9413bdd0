import { editDistance } from '../src/util/edit-distance.js'

/**
 * For oclif's "Nonexistent flag: --queue": the flag meant, if one is close (`--queue` →
 * `--queues`, `--concurency` → `--concurrency`): a known flag the typed one starts or is the
 * start of, else one within a third of its length in edits.
 */
export function suggestFlag(message: string, known: readonly string[]): string | undefined {
  const typed = /Nonexistent flags?: (--?[\w-]+)/.exec(message)?.[1]?.replace(/^-+/, '')
  if (!typed) return undefined
  const prefix = known.filter((k) => k.startsWith(typed) || typed.startsWith(k))
  if (prefix.length === 1) return `--${prefix[0]}`
  const scored = known.map((k) => [k, editDistance(typed, k)] as const).sort((a, b) => a[1] - b[1])
  const best = scored[0]
  return best && best[1] <= Math.max(1, Math.floor(typed.length / 3)) ? `--${best[0]}` : undefined
}
