import type { JobState } from '../types.js'

/** A job state as a coloured label (colours in style.css, as tq status colours them). */
export function StateBadge({ state }: { state: JobState | 'purged' }) {
  return <span class={`state state-${state}`}>{state}</span>
}
