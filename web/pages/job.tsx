/**
 * One job: state and actions, timeline, progress, payload, result, the error with its stack,
 * every attempt's error, children, and its workflow as a graph. An unknown id gets a page that
 * says so.
 */
import { useState } from 'preact/hooks'
import { api } from '../api.js'
import { Confirm } from '../components/confirm.js'
import { JobsTable } from '../components/jobs-table.js'
import { useAction } from '../components/notice.js'
import { StateBadge } from '../components/state-badge.js'
import { WorkflowGraph } from '../components/workflow-graph.js'
import { useLiveData } from '../live.js'
import { go, href } from '../route.js'
import { clock, duration, fraction, json, relative, visible, visibleBlock } from '../text.js'
import { CANCELLABLE, FINAL_STATES, RETRYABLE, type JobJSON } from '../types.js'

export function JobPage({ id }: { id: string }) {
  const page = useLiveData(() => api.job(id), id)
  const { busy, run } = useAction()
  const [cancelling, setCancelling] = useState(false)

  if (page.error?.status === 404) {
    return (
      <div class="page">
        <h2>Job not found</h2>
        <p class="not-found">
          There is no job with id <code>{visible(id)}</code>: it may have been purged, or pruned after its retention. <a href={href('jobs')}>All jobs</a>
        </p>
      </div>
    )
  }
  if (!page.data) return <p class="empty">{page.error ? visible(page.error.message) : 'loading…'}</p>
  const { job, children, workflow } = page.data
  const f = fraction(job.progress)

  return (
    <div class="page job-page">
      <div class="job-head">
        <h2>
          {visible(job.task)} <StateBadge state={job.state} />
        </h2>
        <div class="actions">
          {RETRYABLE.includes(job.state) ? (
            <button type="button" class="primary" disabled={busy} onClick={() => run(async () => (await api.retry(job.id), `requeued ${job.task}`), page.reload)}>
              Retry
            </button>
          ) : null}
          {CANCELLABLE.includes(job.state) ? (
            <button type="button" class="danger" disabled={busy} onClick={() => setCancelling(true)}>
              Cancel…
            </button>
          ) : null}
          {FINAL_STATES.includes(job.state) && job.task !== 'tq.workflow' ? (
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                run(async () => {
                  const { id: next } = await api.rerun(job.id)
                  go(href('jobs', next))
                  return `re-ran ${job.task} as a new job`
                })
              }
            >
              Re-run
            </button>
          ) : null}
          {job.task !== 'tq.workflow' ? (
            <a class="button" href={href('enqueue', { task: job.task, from: job.id })}>
              Enqueue similar…
            </a>
          ) : null}
        </div>
      </div>
      <p class="mono id-line">{visible(job.id)}</p>

      <dl class="facts">
        <dt>queue</dt>
        <dd>
          <a href={href('jobs', { queue: job.queue })}>{visible(job.queue)}</a>
        </dd>
        <dt>attempt</dt>
        <dd>{`${job.attempt} of ${job.maxAttempts}`}</dd>
        <dt>priority</dt>
        <dd>{job.priority}</dd>
        {job.key ? (
          <>
            <dt>unique key</dt>
            <dd class="mono">{visible(job.key)}</dd>
          </>
        ) : null}
        {job.parentId ? (
          <>
            <dt>parent</dt>
            <dd class="mono">
              <a href={href('jobs', job.parentId)}>{visible(job.parentId)}</a>
            </dd>
          </>
        ) : null}
        {job.workflowId ? (
          <>
            <dt>workflow</dt>
            <dd class="mono">
              <a href={href('jobs', job.workflowId)}>{visible(job.workflowId)}</a> · <a href={href('jobs', { workflow: job.workflowId })}>its steps</a>
            </dd>
          </>
        ) : null}
      </dl>

      <h3>Timeline</h3>
      <Timeline job={job} />

      {job.progress != null ? (
        <>
          <h3>Progress</h3>
          {f !== null ? <progress class="wide" max={1} value={f} /> : null}
          <pre class="block">{json(job.progress)}</pre>
        </>
      ) : null}

      <h3>Payload</h3>
      <pre class="block payload">{json(job.payload)}</pre>

      {job.state === 'succeeded' || job.result != null ? (
        <>
          <h3>Result</h3>
          <pre class="block result">{json(job.result)}</pre>
        </>
      ) : null}

      {job.error && !['succeeded'].includes(job.state) ? (
        <>
          <h3>Error</h3>
          <div class="error-box">
            <div class="error-title">{visible(`${job.error.name ?? 'Error'}: ${job.error.message}`)}</div>
            {job.error.stack ? <pre class="stack">{visibleBlock(job.error.stack)}</pre> : null}
          </div>
        </>
      ) : null}

      {job.errors.length ? (
        <>
          <h3>Attempts that failed ({job.errors.length})</h3>
          <ol class="attempts">
            {job.errors.map((e, i) => (
              <li key={i}>
                <details open={i === job.errors.length - 1}>
                  <summary>
                    <span class="dim">{`#${i + 1}${e.attempt ? ` attempt ${e.attempt}` : ''} · ${clock(e.at)}`}</span> {visible(`${e.name ?? 'Error'}: ${e.message}`)}
                  </summary>
                  {e.stack ? <pre class="stack">{visibleBlock(e.stack)}</pre> : null}
                </details>
              </li>
            ))}
          </ol>
        </>
      ) : null}

      {workflow && workflow.steps.length ? (
        <>
          <h3>Workflow</h3>
          <WorkflowGraph steps={workflow.steps} current={job.id} />
        </>
      ) : null}

      {children.length ? (
        <>
          <h3>Children ({children.length})</h3>
          <JobsTable jobs={children} empty="" />
        </>
      ) : null}

      {cancelling ? (
        <Confirm
          title={`Cancel ${visible(job.task)}?`}
          confirm="Cancel the job"
          danger
          busy={busy}
          onCancel={() => setCancelling(false)}
          onConfirm={() =>
            run(async () => {
              const r = await api.cancel(job.id)
              return r.aborting.length ? 'aborting: its worker stops it' : 'cancelled'
            }, () => (setCancelling(false), page.reload()))
          }
        >
          <p>{job.state === 'active' ? 'It is running: ctx.signal is aborted, then it is stopped hard after the grace.' : 'It will never run.'}</p>
        </Confirm>
      ) : null}
    </div>
  )
}

function Timeline({ job }: { job: JobJSON }) {
  const rows: [string, string | null, string?][] = [
    ['created', job.createdAt],
    ['run at', job.runAt],
    ['started', job.startedAt, job.startedAt ? `waited ${duration(Date.parse(job.startedAt) - Date.parse(job.runAt))}` : undefined],
    ['finished', job.finishedAt, job.finishedAt && job.startedAt ? `ran ${duration(Date.parse(job.finishedAt) - Date.parse(job.startedAt))}` : undefined],
  ]
  return (
    <table class="timeline">
      <tbody>
        {rows.map(([what, at, note]) => (
          <tr key={what} class={at ? '' : 'dim'}>
            <th>{what}</th>
            <td title={at ?? ''}>{clock(at)}</td>
            <td class="dim">{at ? relative(at) : ''}</td>
            <td class="dim">{note ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
