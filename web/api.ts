/**
 * The dashboard's calls to /api. The session travels as a cookie (set by the `?token=` visit),
 * so calls need nothing more than same-origin credentials.
 */
import type { JobJSON, JobState, JobSummary, Overview, ScheduleView, WorkerView } from './types.js'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, 'the tq ui server does not answer')
  }
  const text = await res.text()
  let data: unknown
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = null
  }
  if (!res.ok) {
    const d = (data ?? {}) as { error?: string; field?: string }
    throw new ApiError(res.status, d.error ?? (res.status === 401 ? 'unauthorized: open the address tq ui printed, with its ?token=' : `${res.status} ${res.statusText}`), d.field)
  }
  return data as T
}

export interface JobFilter {
  state?: JobState | ''
  queue?: string
  task?: string
  workflow?: string
}

export const api = {
  overview: () => call<Overview>('GET', '/api/overview'),
  jobs: (f: JobFilter, offset: number, limit: number) => {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v)
    q.set('offset', String(offset))
    q.set('limit', String(limit))
    return call<{ jobs: JobSummary[]; hasMore: boolean; offset: number; limit: number }>('GET', `/api/jobs?${q}`)
  },
  find: (text: string) => call<{ id: string }>('GET', `/api/find?q=${encodeURIComponent(text)}`),
  job: (id: string) => call<{ job: JobJSON; children: JobSummary[]; workflow: { id: string; steps: JobSummary[] } | null }>('GET', `/api/jobs/${encodeURIComponent(id)}`),
  workers: () => call<{ workers: WorkerView[] }>('GET', '/api/workers'),
  schedules: () => call<{ schedules: ScheduleView[]; note?: string }>('GET', '/api/schedules'),
  tasks: () => call<{ loaded: boolean; error?: string; tasks: { name: string; queue: string; priority: number; schema: boolean }[] }>('GET', '/api/tasks'),
  retry: (id: string) => call<{ requeued: string[] }>('POST', `/api/jobs/${encodeURIComponent(id)}/retry`, {}),
  cancel: (id: string) => call<{ cancelled: string[]; aborting: string[] }>('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`, {}),
  rerun: (id: string) => call<{ id: string }>('POST', `/api/jobs/${encodeURIComponent(id)}/rerun`, {}),
  retryFailed: (queue?: string) => call<{ requeued: string[] }>('POST', '/api/retry-failed', { queue }),
  pause: (queue: string) => call<{ note?: string }>('POST', `/api/queues/${encodeURIComponent(queue)}/pause`, {}),
  resume: (queue: string) => call<{ note?: string }>('POST', `/api/queues/${encodeURIComponent(queue)}/resume`, {}),
  purge: (opts: { queue?: string; state?: string; all?: boolean }) => call<{ deleted: number }>('POST', '/api/purge', opts),
  enqueue: (body: { task: string; payload: string; queue?: string; delay?: string; priority?: string; key?: string }) =>
    call<{ id: string; created: boolean }>('POST', '/api/enqueue', body),
}
