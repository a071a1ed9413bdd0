/**
 * A job id short enough for a table: a UUID's last 8 characters (job ids are time-ordered, so
 * their first characters are shared by every job of the same minute); a schedule slot's time.
 */
export function shortId(id: string): string {
  const slot = /^schedule:.*:\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/.exec(id)
  if (slot) return `@${slot[1]!.replace(/\.000$/, '')}`
  return id.length > 12 ? id.slice(-8) : id
}
