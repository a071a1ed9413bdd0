/**
 * Jobs: filtered by state, queue, task and workflow, newest first, a page at a time (the broker
 * reads one page from its index: a million jobs are never loaded), and a box to find a job by
 * its id, its short id or any prefix.
 */
import { useEffect, useState } from 'preact/hooks'
import { api } from '../api.js'
import { JobsTable } from '../components/jobs-table.js'
import { useAction } from '../components/notice.js'
import { useLiveData, useLive } from '../live.js'
import { go, href, type Route } from '../route.js'
import { visible } from '../text.js'
import { JOB_STATES, type JobState } from '../types.js'

const PAGE = 50

export function JobsPage({ route }: { route: Route }) {
  const q = route.query
  const filter = { state: (q.get('state') ?? '') as JobState | '', queue: q.get('queue') ?? '', task: q.get('task') ?? '', workflow: q.get('workflow') ?? '' }
  const page = Math.max(0, Number(q.get('page') ?? 0) || 0)
  const key = JSON.stringify([filter, page])
  // A listing follows live updates at most every 2 s: on Redis a filter by task may scan many jobs.
  const list = useLiveData(() => api.jobs(filter, page * PAGE, PAGE), key, 2000)
  const { overview } = useLive()
  const { busy, run } = useAction()
  const [findText, setFindText] = useState('')
  const [findError, setFindError] = useState<string | null>(null)
  // How many match, when the queue counts can tell (a state and/or a queue, no task or workflow).
  const total =
    overview && !filter.task && !filter.workflow
      ? overview.queues
          .filter((x) => !filter.queue || x.queue === filter.queue)
          .reduce((n, x) => n + (filter.state ? x.counts[filter.state] : Object.values(x.counts).reduce((a, b) => a + b, 0)), 0)
      : null
  // From the address as it is now, not as this render saw it: two changes in a row (a box left
  // by choosing a state) must both stick.
  const set = (change: Record<string, string | number | undefined>) => {
    const now = Object.fromEntries(new URLSearchParams(location.hash.split('?')[1] ?? ''))
    go(href('jobs', { ...now, page: undefined, ...change }))
  }

  const find = async (e: Event) => {
    e.preventDefault()
    setFindError(null)
    try {
      const { id } = await api.find(findText.trim())
      go(href('jobs', id))
    } catch (err) {
      setFindError((err as Error).message)
    }
  }

  return (
    <div class="page">
      <h2>Jobs</h2>
      <form class="filters" onSubmit={find}>
        <label>
          state
          <select name="state" value={filter.state} onChange={(e) => set({ state: (e.target as HTMLSelectElement).value })}>
            <option value="">any</option>
            {JOB_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          queue
          <FilterInput name="queue" list="queue-names" value={filter.queue} onCommit={(queue) => set({ queue })} />
          <datalist id="queue-names">
            {overview?.queues.map((x) => <option key={x.queue} value={x.queue} />)}
          </datalist>
        </label>
        <label>
          task
          <FilterInput name="task" value={filter.task} onCommit={(task) => set({ task })} />
        </label>
        <label>
          workflow
          <FilterInput name="workflow" value={filter.workflow} onCommit={(workflow) => set({ workflow })} />
        </label>
        <span class="spacer" />
        <label>
          find
          <input name="find" value={findText} placeholder="id, short id or prefix" onInput={(e) => setFindText((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Open</button>
      </form>
      {findError ? (
        <p class="field-error" role="alert">
          {visible(findError)}
        </p>
      ) : null}
      {filter.state === 'failed' ? (
        <p>
          <button
            type="button"
            disabled={busy}
            onClick={() => run(async () => `requeued ${(await api.retryFailed(filter.queue || undefined)).requeued.length} job(s)`, list.reload)}
          >
            Retry every failed job{filter.queue ? ` of ${visible(filter.queue)}` : ''}
          </button>
        </p>
      ) : null}
      {list.error ? (
        <p class="field-error" role="alert">
          {visible(list.error.message)}
        </p>
      ) : null}
      {list.data ? <JobsTable jobs={list.data.jobs} empty="no jobs match" /> : <p class="empty">loading…</p>}
      <div class="pager">
        <button type="button" disabled={page === 0} onClick={() => set({ page: page - 1 || undefined })}>
          ← Newer
        </button>
        <span>
          page {page + 1}
          {total !== null && list.data ? <span class="dim">{` · ${list.data.jobs.length ? `${page * PAGE + 1}–${page * PAGE + list.data.jobs.length}` : 0} of ${total.toLocaleString()}`}</span> : null}
        </span>
        <button type="button" disabled={!list.data?.hasMore} onClick={() => set({ page: page + 1 })}>
          Older →
        </button>
      </div>
    </div>
  )
}

/**
 * A filter box: what is typed stays a draft (live updates re-render the page every few seconds
 * and must not reset it) until Enter or leaving the box applies it.
 */
function FilterInput(p: { name: string; value: string; list?: string; onCommit: (value: string) => void }) {
  const [draft, setDraft] = useState(p.value)
  useEffect(() => setDraft(p.value), [p.value])
  const commit = () => draft.trim() !== p.value && p.onCommit(draft.trim())
  return (
    <input
      name={p.name}
      list={p.list}
      value={draft}
      placeholder="any"
      onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault()
          commit()
        }
      }}
    />
  )
}
