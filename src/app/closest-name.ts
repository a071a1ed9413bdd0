import { closeEnough, editDistance } from '../util/edit-distance.js'

/** The known name closest to `word` (case-insensitive), if it is close enough to be a typo of it. */
export function closestName(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestD = Infinity
  for (const name of known) {
    const dist = editDistance(word.toLowerCase(), name.toLowerCase())
    if (dist < bestD) [best, bestD] = [name, dist]
  }
  return closeEnough(word, bestD) ? best : undefined
}
