/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment), so `jbos` is one edit from `jobs`, not two. The one measure behind every "did you
 * mean": unknown commands, flags and config keys.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
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

/** Close enough to be a typo: within a third of the word's length, at least one edit. */
export function closeEnough(word: string, distance: number): boolean {
  return distance <= Math.max(1, Math.floor(word.length / 3))
}
