/**
 * What the overview page shows and every live update carries: the status snapshot (queues with
 * counts and pause state, workers, running jobs, recent failures) plus a longer throughput
 * history for the chart. The snapshot is the one `tq status` draws, read the same way.
 */
import type { AdminBroker } from '../broker/types.js'
import { buildSnapshot, THROUGHPUT_SECONDS, type StatusSnapshot } from '../status/snapshot.js'

/** Seconds of history the chart shows. */
export const HISTORY_SECONDS = 600
/**
 * The long history is read at most this often; in between, the snapshot's last minute (read on
 * every update) is laid over its end. Ten minutes of per-second counts is 600 reads on Redis:
 * fine every few seconds, too many on every job that moves.
 */
const HISTORY_EVERY_MS = 5000

export interface Overview extends StatusSnapshot {
  /** Jobs finished per second over the last HISTORY_SECONDS, per queue, oldest first; ends at `time`. */
  history: { seconds: number; end: string; series: Record<string, number[]> }
}

export class OverviewReader {
  private history: { at: number; series: Record<string, number[]> } | null = null

  constructor(private readonly broker: AdminBroker) {}

  async read(): Promise<Overview> {
    const now = Date.now()
    const stale = !this.history || now - this.history.at >= HISTORY_EVERY_MS
    const [snapshot, series] = await Promise.all([buildSnapshot(this.broker), stale ? this.broker.throughput(HISTORY_SECONDS) : null])
    if (series) this.history = { at: now, series }
    // Shift the cached history by the seconds since it was read, then lay the fresh minute over its end.
    const shift = Math.floor(now / 1000) - Math.floor(this.history!.at / 1000)
    const out: Record<string, number[]> = {}
    const names = new Set([...Object.keys(this.history!.series), ...snapshot.queues.map((q) => q.queue)])
    for (const name of names) {
      const old = fit(this.history!.series[name] ?? [], HISTORY_SECONDS)
      const moved = [...old.slice(Math.min(shift, HISTORY_SECONDS)), ...new Array<number>(Math.min(shift, HISTORY_SECONDS)).fill(0)]
      const recent = snapshot.queues.find((q) => q.queue === name)?.throughput ?? []
      out[name] = [...moved.slice(0, HISTORY_SECONDS - THROUGHPUT_SECONDS), ...fit(recent, THROUGHPUT_SECONDS)]
    }
    return { ...snapshot, history: { seconds: HISTORY_SECONDS, end: snapshot.time, series: out } }
  }
}

function fit(series: readonly number[], n: number): number[] {
  const out = series.slice(-n)
  return out.length < n ? [...new Array<number>(n - out.length).fill(0), ...out] : out
}
