import type { StatusSnapshot } from '../../src/status/snapshot.js'

export const NOW = Date.parse('2026-03-01T12:00:00.000Z')
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString()

/** Characters a terminal shows for a string (ANSI escapes excluded; all our glyphs are one column). */
export const visibleWidth = (s: string) => [...s.replace(/\x1b\[[0-9;]*m/g, '')].length
export const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')

/** A snapshot with something in every panel: a paused queue, a dead worker, progress of each kind. */
export function sampleSnapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const series = (peak: number) => Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? peak : Math.floor(peak / 3)))
  return {
    time: new Date(NOW).toISOString(),
    broker: 'sqlite:///home/me/app/.tq/tq.db',
    queues: [
      { queue: 'default', paused: false, counts: { scheduled: 2, queued: 41, active: 3, succeeded: 1_234_567, failed: 12, cancelled: 0, expired: 0 }, throughput: series(30), perSecond: 12.4 },
      { queue: 'emails', paused: true, counts: { scheduled: 0, queued: 250, active: 0, succeeded: 98_000, failed: 3, cancelled: 0, expired: 0 }, throughput: series(0), perSecond: 0 },
    ],
    workers: [
      { id: 'w1', host: 'web-1', pid: 4242, queues: ['default', 'emails'], concurrency: 10, busy: 3, running: ['a', 'b', 'c'], startedAt: iso(3_600_000), lastBeatAt: iso(1_000), alive: true },
      { id: 'w2', host: 'web-2', pid: 777, queues: ['default'], concurrency: 4, busy: 1, running: ['d'], startedAt: iso(7_200_000), lastBeatAt: iso(120_000), alive: false },
    ],
    schedules: [
      { name: 'nightly-cleanup', task: 'db.cleanup', expression: '0 3 * * *', tz: 'Europe/Paris', nextAt: iso(-3_600_000 * 14), lastRunAt: iso(3_600_000 * 10) },
      { name: 'tick', task: 'ping', expression: 'every 5s', tz: 'UTC', nextAt: iso(-3_000), lastRunAt: iso(2_000) },
    ],
    running: [
      { id: '019ab5c0-1e00-7000-8000-0000aaaa0001', task: 'report.build', queue: 'default', attempt: 1, maxAttempts: 3, startedAt: iso(95_000), elapsedMs: 95_000, progress: 0.42 },
      { id: '019ab5c0-1e00-7000-8000-0000aaaa0002', task: 'video.encode', queue: 'default', attempt: 1, maxAttempts: 1, startedAt: iso(12_000), elapsedMs: 12_000, progress: 75 },
      { id: '019ab5c0-1e00-7000-8000-0000aaaa0003', task: 'email.welcome', queue: 'default', attempt: 2, maxAttempts: 6, startedAt: iso(400), elapsedMs: 400, progress: { stage: 'rendering' } },
    ],
    failures: [
      { id: '019ab5c0-1e00-7000-8000-0000bbbb0001', task: 'email.welcome', queue: 'emails', attempt: 6, maxAttempts: 6, finishedAt: iso(30_000), error: { name: 'Error', message: 'connect ECONNREFUSED 10.0.0.7:25\n    more detail' } },
      { id: '019ab5c0-1e00-7000-8000-0000bbbb0002', task: 'report.build', queue: 'default', attempt: 3, maxAttempts: 3, finishedAt: iso(600_000), error: { name: 'TypeError', message: "Cannot read properties of undefined (reading 'rows')" } },
    ],
    ...over,
  }
}
