import { randomBytes } from 'node:crypto'

/**
 * Job ids: UUIDv7 layout, monotonic within a process (RFC 9562, section 6.2, method 1).
 *
 *   tttttttt-tttt-7ccc-Vccc-nnnnnnnnnnnn
 *   t: 48-bit Unix time in ms   c: 24-bit counter   V: variant 10 + 2 random bits   n: 48 random bits
 *
 * The counter starts at a random value below 2^23 each millisecond and counts up, and the last
 * 50 bits are drawn once per process. So ids from one process sort in creation order (each new
 * id lands at the end of SQLite's id index, the cheapest place to insert), and two processes
 * collide only if they draw the same 50 bits and reach the same counter in the same millisecond.
 * Building one is a few string joins, not a hex encoding of fresh random bytes.
 */
const node = randomBytes(7)
const suffix = `${((node[0]! & 0x3) | 0x8).toString(16)}`
const tail = node.subarray(1).toString('hex')

let lastMs = -1
let counter = 0
let prefix = ''

export function newJobId(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now
    counter = randomBytes(3).readUIntBE(0, 3) & 0x7fffff
    prefix = timePrefix(now)
  } else if (++counter > 0xffffff) {
    // 16M ids in one millisecond, or the clock went back: borrow the next millisecond.
    lastMs++
    counter = 0
    prefix = timePrefix(lastMs)
  }
  const c = counter.toString(16).padStart(6, '0')
  return `${prefix}${c.slice(0, 3)}-${suffix}${c.slice(3)}-${tail}`
}

function timePrefix(ms: number): string {
  const t = ms.toString(16).padStart(12, '0')
  return `${t.slice(0, 8)}-${t.slice(8)}-7`
}
