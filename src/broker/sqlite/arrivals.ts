import type { Statements } from './sql.js'

/**
 * Jobs inserted on their own ("arrivals") skip both indexes: their id waits in lone_id and they
 * are left out of the ready index (migrations 6 and 7), so a lone enqueue writes the table alone.
 * Rows are appended, so the arrivals are the rows above index_mark. Whatever finds jobs through
 * an index (a claim, a lookup by id, a listing, a count) enters them first.
 */

/** Whether rows were inserted above the mark (two reads; a plain check before taking the write lock). */
export function hasArrivals(s: Statements): boolean {
  return (s.lastSeq.get() as number) > (s.indexMark.get() as number)
}

/** Enters the arrivals in the id and ready indexes. Runs in the caller's write transaction. */
export function indexArrivals(s: Statements): void {
  const last = s.lastSeq.get() as number
  const mark = s.indexMark.get() as number
  if (last <= mark) return
  s.indexArrivals.run(mark)
  s.setIndexMark.run(last)
}
