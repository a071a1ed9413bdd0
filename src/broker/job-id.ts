import { randomBytes } from 'node:crypto'

/**
 * Job ids: UUIDv7 layout, monotonic within a process (RFC 9562, section 6.2, method 2: a
 * counter in the low bits).
 *
 *   tttttttt-tttt-7nnn-Vnnn-nnnncccccccc
 *   t: 48-bit Unix time in ms   n: 42 bits drawn once per process   V: variant 10 + 2 of those bits
 *   c: 32-bit counter
 *
 * The counter is the LAST 8 hex characters because that is what people see: tables and logs
 * show an id's tail (its head is the time, shared by every job of the same minute). It starts
 * at a random value when the process starts and moves up by a random step of 1 to 256 at
 * every id, across milliseconds, so consecutive jobs of one process have tails that differ
 * (for ~30 million jobs before the counter wraps), and a mistyped tail rarely names another job.
 *
 * Ids from one process sort in creation order (each new id lands at the end of SQLite's id
 * index, the cheapest place to insert): the time comes first, and within a millisecond the
 * counter only goes up. Two processes collide only if they draw the same 42 bits and reach the
 * same counter value in the same millisecond. Building one is a few string joins.
 */
const node = randomBytes(6)
const hex = node.toString('hex')
/** The per-process middle: `-7nnn-Vnnn-nnnn` (V carries the RFC variant bits 10 and 2 random bits). */
const middle = `-7${hex.slice(0, 3)}-${((node[5]! & 0x3) | 0x8).toString(16)}${hex.slice(3, 6)}-${hex.slice(6, 10)}`

const COUNTER_SPAN = 2 ** 32
/** Byte to two hex digits: a counter above 2^31 is not a small integer, and its toString(16) costs 5x this. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
/** Random steps, drawn in bulk: one byte per id. */
let steps = randomBytes(4096)
let stepAt = 0

let lastMs = -1
let counter = randomBytes(4).readUInt32BE(0)
let prefix = ''

function nextStep(): number {
  if (stepAt === steps.length) (steps = randomBytes(4096)), (stepAt = 0)
  return steps[stepAt++]! + 1
}

export function newJobId(now = Date.now()): string {
  counter += nextStep()
  let ms = now > lastMs ? now : lastMs
  if (counter >= COUNTER_SPAN) {
    // Wrapped: within the same millisecond the next id would sort first, so borrow the next one.
    counter -= COUNTER_SPAN
    if (ms === lastMs) ms++
  }
  if (ms !== lastMs) (lastMs = ms), (prefix = timePrefix(ms) + middle)
  return prefix + HEX[counter >>> 24]! + HEX[(counter >>> 16) & 255]! + HEX[(counter >>> 8) & 255]! + HEX[counter & 255]!
}

function timePrefix(ms: number): string {
  const t = ms.toString(16).padStart(12, '0')
  return `${t.slice(0, 8)}-${t.slice(8)}`
}
