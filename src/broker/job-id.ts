import { randomBytes } from 'node:crypto'

/**
 * Job ids: time-ordered like UUIDv7 (48-bit ms timestamp, then 80 random bits), in UUID form.
 * New ids land at the end of the id index instead of at random places in it, which doubles
 * SQLite's insert rate against random UUIDs, and ids sort by creation time.
 */
let pool = Buffer.alloc(0)
let offset = 0

export function newJobId(now = Date.now()): string {
  if (offset + 10 > pool.length) {
    pool = randomBytes(10 * 1024)
    offset = 0
  }
  const rand = pool.toString('hex', offset, offset + 10)
  offset += 10
  const ts = now.toString(16).padStart(12, '0')
  // version 7 nibble, variant bits 10xx
  const variant = ((parseInt(rand[3]!, 16) & 0x3) | 0x8).toString(16)
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${rand.slice(0, 3)}-${variant}${rand.slice(4, 7)}-${rand.slice(7, 19)}`
}
