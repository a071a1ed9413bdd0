import { href } from '../route.js'
import { relative, shortId, visible } from '../text.js'
import type { JobSummary } from '../types.js'
import { StateBadge } from './state-badge.js'

/** Jobs as rows: id (a link to the job), task, queue, state, attempt, times, the error it ended with. */
export function JobsTable({ jobs, empty }: { jobs: JobSummary[]; empty: string }) {
  if (jobs.length === 0) return <p class="empty">{empty}</p>
  return (
    <table class="table jobs-table">
      <thead>
        <tr>
          <th>id</th>
          <th>task</th>
          <th>queue</th>
          <th>state</th>
          <th>attempt</th>
          <th>created</th>
          <th>finished</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id} data-job={j.id}>
            <td class="mono">
              <a href={href('jobs', j.id)} title={visible(j.id)}>
                {visible(shortId(j.id))}
              </a>
            </td>
            <td>{visible(j.task)}</td>
            <td>{visible(j.queue)}</td>
            <td>
              <StateBadge state={j.state} />
            </td>
            <td class="num">{`${j.attempt}/${j.maxAttempts}`}</td>
            <td title={j.createdAt}>{relative(j.createdAt)}</td>
            <td title={j.finishedAt ?? ''}>{relative(j.finishedAt)}</td>
            <td class="error-cell">{j.error ? visible(`${j.error.name}: ${j.error.message}`) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
