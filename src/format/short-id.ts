/**
 * Job ids short enough for a table. A UUID shows its last 8 characters: job ids are time-ordered,
 * so their first characters are shared by every job of the same minute, while the last 8 are a
 * counter that differs job to job (../broker/job-id.ts). A schedule slot shows its time.
 * `tq job`, `tq retry` and `tq cancel` accept every form printed here (../cli-support/resolve-job-id.ts).
 */

const SLOT = /^schedule:.*:\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/
/** Tails shorter than this are not worth abbreviating: the id is shown whole. */
const MIN_ABBREVIATED = 12
const SHORT = 8

/** One id on its own: its last 8 characters, a slot's `@HH:MM:SS`, or a short id as it is. */
export function shortId(id: string): string {
  const slot = SLOT.exec(id)
  if (slot) return `@${slot[1]!.replace(/\.000$/, '')}`
  return id.length > MIN_ABBREVIATED ? id.slice(-SHORT) : id
}

/**
 * Short ids for jobs shown together, distinct from each other: ids whose last 8 characters
 * collide show as many more as it takes to tell them apart (never starting at a `-`); slots at
 * the same time of day show their whole id. Keyed by id; duplicates in `ids` are shown once.
 */
export function shortIds(ids: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>()
  for (const id of ids) if (!out.has(id)) out.set(id, shortId(id))
  for (;;) {
    const byShort = new Map<string, string[]>()
    for (const [id, s] of out) {
      const group = byShort.get(s)
      if (group) group.push(id)
      else byShort.set(s, [id])
    }
    const clashing = [...byShort.values()].filter((group) => group.length > 1)
    if (clashing.length === 0) return out
    for (const group of clashing) for (const id of group) out.set(id, longer(id, out.get(id)!))
  }
}

/** One step longer than `shown`: a tail one character longer, or the whole id. */
function longer(id: string, shown: string): string {
  if (shown === id || SLOT.test(id) || !id.endsWith(shown)) return id
  let n = shown.length + 1
  while (n < id.length && id[id.length - n] === '-') n++
  return id.slice(-n)
}
