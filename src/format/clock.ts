/** The time column of log lines: `HH:MM:SS.mmm` in UTC, as every tq log prints it. */
export function logTime(ms: number = Date.now()): string {
  return new Date(ms).toISOString().slice(11, 23)
}
