/** Schedules: expression, zone, next runs, the last slot and its job's state. */
import { api } from '../api.js'
import { StateBadge } from '../components/state-badge.js'
import { useLiveData } from '../live.js'
import { href } from '../route.js'
import { relative, shortId, visible } from '../text.js'

/** An ISO time as the schedule's zone reads it: `2026-11-25 03:00:00`. */
function inZone(iso: string, tz: string): string {
  try {
    return new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso))
  } catch {
    return iso
  }
}

export function SchedulesPage() {
  // Slots move at most every second; each read looks the task code up again (tq dev reloads it).
  const list = useLiveData(() => api.schedules(), 'schedules', 2000)
  return (
    <div class="page">
      <h2>Schedules</h2>
      {list.data?.note ? <p class="hint">{visible(list.data.note)}</p> : null}
      {!list.data ? (
        <p class="empty">{list.error ? visible(list.error.message) : 'loading…'}</p>
      ) : list.data.schedules.length === 0 ? (
        <p class="empty">no schedules (define them with schedule() in a task module)</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>name</th>
              <th>task</th>
              <th>expression</th>
              <th>zone</th>
              <th>next runs</th>
              <th>last slot</th>
              <th>its job</th>
            </tr>
          </thead>
          <tbody>
            {list.data.schedules.map((s) => (
              <tr key={s.name} data-schedule={s.name}>
                <td>{visible(s.name)}</td>
                <td>
                  <a href={href('jobs', { task: s.task })}>{visible(s.task)}</a>
                </td>
                <td class="mono">{visible(s.expression)}</td>
                <td>{visible(s.tz)}</td>
                <td>
                  {s.next.map((t) => (
                    <div key={t} title={t}>
                      {inZone(t, s.tz)} <span class="dim">{relative(t)}</span>
                    </div>
                  ))}
                </td>
                <td title={s.lastRun ?? ''}>{s.lastRun ? `${inZone(s.lastRun, s.tz)}` : <span class="dim">never</span>}</td>
                <td>
                  {s.lastJob ? (
                    <>
                      <StateBadge state={s.lastJob.state} />{' '}
                      {s.lastJob.state === 'purged' ? <span class="mono dim">{visible(shortId(s.lastJob.id))}</span> : <a class="mono" href={href('jobs', s.lastJob.id)}>{visible(shortId(s.lastJob.id))}</a>}
                    </>
                  ) : (
                    <span class="dim">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
