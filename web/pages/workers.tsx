/** Workers: host, pid, queues, threads, running jobs, heartbeat, counters, memory. */
import { api } from '../api.js'
import { useLiveData } from '../live.js'
import { href } from '../route.js'
import { bytes, duration, shortId, visible } from '../text.js'
import type { WorkerView } from '../types.js'

function threads(w: WorkerView): string {
  const states = w.threadStates
  if (!states) return String(w.threads ?? '?')
  const busy = states.filter((t) => t.jobs > 0 && !t.blocked).length
  const blocked = states.filter((t) => t.blocked).length
  const parts = [busy ? `${busy} busy` : '', blocked ? `${blocked} blocked` : ''].filter(Boolean)
  return `${states.length}${parts.length ? ` (${parts.join(', ')})` : ''}`
}

export function WorkersPage() {
  const list = useLiveData(() => api.workers(), 'workers')
  const now = Date.now()
  return (
    <div class="page">
      <h2>Workers</h2>
      {!list.data ? (
        <p class="empty">{list.error ? visible(list.error.message) : 'loading…'}</p>
      ) : list.data.workers.length === 0 ? (
        <p class="empty">no workers (start one with tq worker or tq dev)</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>worker</th>
              <th>state</th>
              <th>queues</th>
              <th>threads</th>
              <th class="num">busy</th>
              <th class="num">done</th>
              <th class="num">failed</th>
              <th class="num">memory</th>
              <th>heartbeat</th>
              <th>up</th>
              <th>running jobs</th>
            </tr>
          </thead>
          <tbody>
            {list.data.workers.map((w) => (
              <tr key={w.id} data-worker={w.id} class={w.alive ? '' : 'dead'}>
                <td class="mono">{visible(`${w.host}:${w.pid}`)}</td>
                <td class={w.alive ? 'ok' : 'bad'}>{w.alive ? 'alive' : 'dead'}</td>
                <td>{visible(w.queues.join(', '))}</td>
                <td>{threads(w)}</td>
                <td class="num">{`${w.running.length}/${w.concurrency}`}</td>
                <td class="num">{w.done ?? '?'}</td>
                <td class="num">{w.failed ?? '?'}</td>
                <td class="num">{bytes(w.rssBytes)}</td>
                <td>{`${duration(now - w.lastBeatAt)} ago`}</td>
                <td>{duration(now - w.startedAt)}</td>
                <td>
                  {w.jobs.map((j) => (
                    <div key={j.id}>
                      <a href={href('jobs', j.id)}>{visible(j.task)}</a> <span class="mono dim">{visible(shortId(j.id))}</span>
                      {j.runningMs !== null ? <span class="dim"> {duration(j.runningMs)}</span> : null}
                    </div>
                  ))}
                  {(w.blocked ?? []).map((b) => (
                    <div key={`b${b.id}`} class="warn">
                      ⏳ {visible(b.task)} blocked a thread for {duration(now - b.since)}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
