/** The overview: queues with counts by state and pause state, throughput, workers, running jobs, recent failures. */
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { ThroughputChart } from '../components/chart.js'
import { Confirm } from '../components/confirm.js'
import { useAction } from '../components/notice.js'
import { useLive } from '../live.js'
import { href } from '../route.js'
import { duration, fraction, relative, shortId, visible } from '../text.js'
import { JOB_STATES, type QueueStatus } from '../types.js'

export function OverviewPage() {
  const { overview } = useLive()
  if (!overview) return <p class="empty">reading the broker…</p>
  const now = Date.parse(overview.time)
  return (
    <div class="page">
      <section>
        <h2>Queues</h2>
        <QueuesTable queues={overview.queues} />
      </section>
      <section>
        <h2>Throughput</h2>
        <p class="hint">jobs finished per second, last {Math.round(overview.history.seconds / 60)} minutes</p>
        <ThroughputChart history={overview.history} />
      </section>
      <div class="columns">
        <section>
          <h2>
            <a href={href('workers')}>Workers</a> <span class="count">{overview.workers.filter((w) => w.alive).length} alive</span>
          </h2>
          {overview.workers.length === 0 ? (
            <p class="empty">no workers (start one with tq worker or tq dev)</p>
          ) : (
            <ul class="list">
              {overview.workers.map((w) => (
                <li key={w.id} class={w.alive ? '' : 'dead'}>
                  <span class="mono">{visible(`${w.host}:${w.pid}`)}</span> <span class={w.alive ? 'ok' : 'bad'}>{w.alive ? 'alive' : 'dead'}</span> · busy {w.busy}/{w.concurrency} · beat {relative(w.lastBeatAt, now)}
                </li>
              ))}
            </ul>
          )}
          <h2>Running</h2>
          {overview.running.length === 0 ? (
            <p class="empty">nothing running</p>
          ) : (
            <ul class="list">
              {overview.running.map((j) => {
                const f = fraction(j.progress)
                return (
                  <li key={j.id}>
                    <a href={href('jobs', j.id)}>{visible(j.task)}</a> <span class="mono dim">{visible(shortId(j.id))}</span> · {duration(j.elapsedMs)}
                    {f !== null ? <progress max={1} value={f} /> : null}
                  </li>
                )
              })}
            </ul>
          )}
        </section>
        <section>
          <h2>
            <a href={href('jobs', { state: 'failed' })}>Recent failures</a>
          </h2>
          <Failures />
        </section>
      </div>
    </div>
  )
}

function Failures() {
  const { overview } = useLive()
  const { busy, run } = useAction()
  const failures = overview!.failures
  if (failures.length === 0) return <p class="empty">no failed jobs</p>
  return (
    <ul class="list failures">
      {failures.map((j) => (
        <li key={j.id} data-failure={j.id}>
          <div>
            <a href={href('jobs', j.id)}>{visible(j.task)}</a> <span class="mono dim">{visible(shortId(j.id))}</span> <span class="dim">{relative(j.finishedAt)}</span>
            <button type="button" class="small" disabled={busy} onClick={() => run(async () => (await api.retry(j.id), `requeued ${j.task} ${shortId(j.id)}`))}>
              Retry
            </button>
          </div>
          {j.error ? <div class="error-line">{visible(`${j.error.name}: ${j.error.message}`)}</div> : null}
        </li>
      ))}
    </ul>
  )
}

function QueuesTable({ queues }: { queues: QueueStatus[] }) {
  const { busy, run } = useAction()
  const [purging, setPurging] = useState<{ queue: string; state: string } | null>(null)
  if (queues.length === 0) return <p class="empty">no queues yet: enqueue a job</p>
  return (
    <>
      <table class="table queues-table">
        <thead>
          <tr>
            <th>queue</th>
            {JOB_STATES.map((s) => (
              <th key={s} class="num">
                {s}
              </th>
            ))}
            <th class="num">jobs/s</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {queues.map((q) => (
            <tr key={q.queue} data-queue={q.queue}>
              <td>
                <a href={href('jobs', { queue: q.queue })}>{visible(q.queue)}</a> {q.paused ? <span class="paused">paused</span> : null}
              </td>
              {JOB_STATES.map((s) => (
                <td key={s} class={`num ${q.counts[s] && (s === 'failed' || s === 'active') ? `count-${s}` : ''}`}>
                  {q.counts[s] ? <a href={href('jobs', { queue: q.queue, state: s })}>{q.counts[s]}</a> : <span class="dim">0</span>}
                </td>
              ))}
              <td class="num">{q.perSecond}</td>
              <td class="actions">
                {q.paused ? (
                  <button type="button" class="small" disabled={busy} onClick={() => run(async () => (await api.resume(q.queue), `resumed ${q.queue}`))}>
                    Resume
                  </button>
                ) : (
                  <button type="button" class="small" disabled={busy} onClick={() => run(async () => (await api.pause(q.queue), `paused ${q.queue}: its jobs wait until you resume it`))}>
                    Pause
                  </button>
                )}
                <button type="button" class="small danger" disabled={busy} onClick={() => setPurging({ queue: q.queue, state: 'succeeded' })}>
                  Purge…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {purging ? (
        <Confirm
          title={`Purge jobs of queue ${visible(purging.queue)}?`}
          confirm="Delete"
          danger
          busy={busy}
          onCancel={() => setPurging(null)}
          onConfirm={() =>
            run(
              async () => {
                const { deleted } = await api.purge({ queue: purging.queue, state: purging.state || undefined })
                return `deleted ${deleted} job(s) from ${purging.queue}`
              },
              () => setPurging(null),
            )
          }
        >
          <p>Deletes the queue's jobs in this state (running jobs are never deleted). This cannot be undone.</p>
          <label>
            state{' '}
            <select value={purging.state} onChange={(e) => setPurging({ ...purging, state: (e.target as HTMLSelectElement).value })}>
              {JOB_STATES.filter((s) => s !== 'active').map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
              <option value="">every state but active</option>
            </select>
          </label>
        </Confirm>
      ) : null}
    </>
  )
}
