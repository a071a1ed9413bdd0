import type { AdminBroker } from '../broker/types.js'
import { TqError, UsageError } from '../errors.js'

/** Candidates named in an "ambiguous" error; one more is looked up to know there are more. */
const SHOWN_CANDIDATES = 5
/** `@HH:MM:SS[.fff]`: how a schedule slot's id is shown (../format/short-id.ts). */
const SLOT_TIME = /^@(\d\d:\d\d:\d\d)(\.\d+)?$/

/**
 * The full id of the job a person typed: a whole id, or any part tq prints or a person shortens
 * it to (the last characters, a prefix, a slot's `@HH:MM:SS`). A whole id wins; otherwise it
 * must match exactly one job. None: a TqError; several: a UsageError naming them.
 */
export async function resolveJobId(broker: AdminBroker, typed: string): Promise<string> {
  const text = typed.trim()
  if (text === '') throw new UsageError('empty job id', 'give a job id, or its last characters as tq jobs shows them')
  if (await broker.getJob(text)) return text
  const found = new Set<string>()
  for (const fragment of fragmentsOf(text)) for (const id of await broker.findJobIds(fragment, SHOWN_CANDIDATES + 1)) found.add(id)
  const ids = [...found].sort()
  if (ids.length === 1) return ids[0]!
  if (ids.length === 0) throw new TqError(`no job matches "${typed}"`, 'list jobs with tq jobs')
  const shown = ids.slice(0, SHOWN_CANDIDATES).join(', ') + (ids.length > SHOWN_CANDIDATES ? ', …' : '')
  throw new UsageError(`"${typed}" is ambiguous: ${shown}`, 'type more characters')
}

/** Resolves several ids, all before anything is done with them (one bad id: nothing happens). */
export async function resolveJobIds(broker: AdminBroker, typed: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const t of typed) out.push(await resolveJobId(broker, t))
  return [...new Set(out)]
}

/** What to look for: a slot time as its ids end, hex as ids spell it (lower case), else the text. */
function fragmentsOf(text: string): string[] {
  const slot = SLOT_TIME.exec(text)
  // A slot id ends with its ISO time; shown without milliseconds when they were .000.
  if (slot) return slot[2] ? [`T${slot[1]}${slot[2]}Z`] : [`T${slot[1]}.000Z`, `T${slot[1]}Z`]
  return /^[0-9a-fA-F-]+$/.test(text) ? [text.toLowerCase()] : [text]
}
