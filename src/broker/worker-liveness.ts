import type { WorkerInfo } from './types.js'

/**
 * When a worker counts as alive, one rule for every view (status, enqueue's queue check, pause's
 * unknown-queue note) and for recovery: workers heartbeat every second, and a worker silent for
 * 8 s is dead. Its running jobs are then put back by the next live worker's heartbeat, so they
 * run again within about 9 s of the death instead of waiting out their lease (30 s by default).
 * Eight missed beats: a worker is not declared dead for a GC pause or a busy machine's hiccup.
 */
export const HEARTBEAT_MS = 1000
export const DEAD_AFTER_MS = 8000

/**
 * A worker not heard from for this long is forgotten: status drops it and removes its record, so
 * a killed worker shows as dead for a while, then goes (as a Celery worker that went offline drops
 * out of `celery inspect` and Flower, and BullMQ lists only connected workers). Five minutes is
 * ten default leases: a worker that was merely stalled comes back with its next heartbeat.
 */
export const FORGET_AFTER_MS = 5 * 60_000

export function isAlive(worker: Pick<WorkerInfo, 'lastBeatAt'>, now = Date.now()): boolean {
  return now - worker.lastBeatAt <= DEAD_AFTER_MS
}

export function isForgotten(worker: Pick<WorkerInfo, 'lastBeatAt'>, now = Date.now()): boolean {
  return now - worker.lastBeatAt > FORGET_AFTER_MS
}
