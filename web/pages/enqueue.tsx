/**
 * Enqueue a job from a form. The payload is JSON typed by hand; the server parses it and checks
 * it against the task's schema exactly as `tq enqueue` does, and a refusal shows under the field
 * it is about, with nothing written.
 */
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../api.js'
import { href, type Route } from '../route.js'
import { visible } from '../text.js'

type Field = 'task' | 'payload' | 'queue' | 'delay' | 'priority' | 'key'

export function EnqueuePage({ route }: { route: Route }) {
  // Read once: the list changes only when task code changes (a reload of the page picks that up).
  const [tasks, setTasks] = useState<{ data?: Awaited<ReturnType<typeof api.tasks>> }>({})
  useEffect(() => void api.tasks().then((data) => setTasks({ data }), (err: Error) => setTasks({ data: { loaded: false, error: err.message, tasks: [] } })), [])
  const [form, setForm] = useState({ task: route.query.get('task') ?? '', payload: '', queue: '', delay: '', priority: '', key: '' })
  const [error, setError] = useState<{ field?: string; message: string } | null>(null)
  const [done, setDone] = useState<{ id: string; created: boolean } | null>(null)
  const [busy, setBusy] = useState(false)
  const from = route.query.get('from')

  // "Enqueue similar": start from that job's payload.
  useEffect(() => {
    if (!from) return
    void api.job(from).then(({ job }) => setForm((f) => ({ ...f, task: job.task, payload: JSON.stringify(job.payload, null, 2) }))).catch(() => undefined)
  }, [from])

  const set = (field: Field) => (e: Event) => setForm({ ...form, [field]: (e.target as HTMLInputElement).value })

  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    setDone(null)
    try {
      setDone(await api.enqueue(form))
    } catch (err) {
      setError({ field: err instanceof ApiError ? err.field : undefined, message: (err as Error).message })
    } finally {
      setBusy(false)
    }
  }

  const fieldError = (field: Field) =>
    error?.field === field ? (
      <p class="field-error" role="alert" data-field={field}>
        {visible(error.message)}
      </p>
    ) : null

  const list = tasks.data?.tasks ?? []
  const chosen = list.find((t) => t.name === form.task)
  return (
    <div class="page">
      <h2>Enqueue a job</h2>
      {tasks.data && !tasks.data.loaded ? <p class="field-error">{visible(tasks.data.error ?? 'the task code is not loaded')}</p> : null}
      <form class="enqueue-form" onSubmit={submit}>
        <label>
          task
          <select name="task" value={form.task} onChange={set('task')} required>
            <option value="">choose a task…</option>
            {list.map((t) => (
              <option key={t.name} value={t.name}>
                {visible(t.name)}
              </option>
            ))}
            {form.task && !chosen && tasks.data ? <option value={form.task}>{visible(form.task)} (not in the task code)</option> : null}
          </select>
        </label>
        {chosen ? <p class="hint">queue {visible(chosen.queue)} · priority {chosen.priority} · {chosen.schema ? 'payload checked against its schema' : 'no schema'}</p> : null}
        {fieldError('task')}
        <label>
          payload (JSON)
          <textarea name="payload" rows={8} spellcheck={false} value={form.payload} onInput={set('payload')} placeholder='{"to": "a@b.c"}' />
        </label>
        {fieldError('payload')}
        <div class="row">
          <label>
            queue
            <input name="queue" value={form.queue} onInput={set('queue')} placeholder={chosen?.queue ?? 'the task’s'} />
          </label>
          <label>
            delay
            <input name="delay" value={form.delay} onInput={set('delay')} placeholder="e.g. 10s, 5m" />
          </label>
          <label>
            priority
            <input name="priority" value={form.priority} onInput={set('priority')} placeholder={String(chosen?.priority ?? 0)} inputMode="numeric" />
          </label>
          <label>
            unique key
            <input name="key" value={form.key} onInput={set('key')} placeholder="none" />
          </label>
        </div>
        {fieldError('queue')}
        {fieldError('delay')}
        {fieldError('priority')}
        {fieldError('key')}
        {error && !error.field ? (
          <p class="field-error" role="alert">
            {visible(error.message)}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          Enqueue
        </button>
      </form>
      {done ? (
        <p class="success" role="status">
          {done.created ? 'Enqueued ' : 'A job with that unique key is already waiting: '}
          <a class="mono" href={href('jobs', done.id)}>
            {visible(done.id)}
          </a>
        </p>
      ) : null}
    </div>
  )
}
