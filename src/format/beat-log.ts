import type { BeatEvent } from '../beat/beat.js'
import type { Colors } from './colors.js'
import { safeText as safe } from './safe-text.js'
import { logTime } from './clock.js'


/** One line per beat event. */
export function formatBeatEvent(e: BeatEvent, c: Colors): string {
  switch (e.type) {
    case 'enqueued':
      return `${c.gray(logTime())} ${c.magenta('⏰')} ${c.bold(safe(e.schedule))} → ${safe(e.task)} ${c.gray(`slot ${new Date(e.slotAt).toISOString()}${e.catchUp ? ' (catch-up)' : ''}`)}`
    case 'skipped':
      return `${c.gray(logTime())} ${c.magenta('⏰')} ${c.bold(safe(e.schedule))} ${c.gray(`skipped ${e.missed} missed slot(s) (catchUp policy)`)}`
    case 'error':
      return `${c.gray(logTime())} ${c.red('⏰')} ${e.schedule ? c.bold(safe(e.schedule)) + ' ' : ''}${c.red(safe(e.error.message.split('\n')[0]!))}`
  }
}

export function beatEventToJson(e: BeatEvent): string {
  const base = { time: new Date().toISOString(), event: `beat.${e.type}` }
  if (e.type === 'enqueued') return JSON.stringify({ ...base, schedule: e.schedule, task: e.task, slotAt: new Date(e.slotAt).toISOString(), id: e.jobId, catchUp: e.catchUp })
  if (e.type === 'skipped') return JSON.stringify({ ...base, schedule: e.schedule, missed: e.missed })
  return JSON.stringify({ ...base, schedule: e.schedule ?? null, error: e.error.message })
}
