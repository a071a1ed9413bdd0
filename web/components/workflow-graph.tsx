/**
 * A workflow as a graph: each step a box coloured by its state, in columns by depth (a step sits
 * one column right of the deepest step it waits for), with an edge from each dependency. Layered
 * columns are enough for chains, groups and chords, and need no layout library.
 */
import { href } from '../route.js'
import { shortId, visible } from '../text.js'
import type { JobSummary } from '../types.js'

const W = 170
const H = 44
const GAP_X = 60
const GAP_Y = 14

export function WorkflowGraph({ steps, current }: { steps: JobSummary[]; current: string }) {
  const byId = new Map(steps.map((s) => [s.id, s]))
  const depth = new Map<string, number>()
  const depthOf = (id: string, seen = new Set<string>()): number => {
    if (depth.has(id)) return depth.get(id)!
    if (seen.has(id)) return 0
    seen.add(id)
    const deps = byId.get(id)?.dependsOn.filter((d) => byId.has(d)) ?? []
    const d = deps.length ? 1 + Math.max(...deps.map((x) => depthOf(x, seen))) : 0
    depth.set(id, d)
    return d
  }
  const columns: JobSummary[][] = []
  for (const s of [...steps].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))) {
    const d = depthOf(s.id)
    ;(columns[d] ??= []).push(s)
  }
  const pos = new Map<string, { x: number; y: number }>()
  columns.forEach((col, c) => col.forEach((s, r) => pos.set(s.id, { x: c * (W + GAP_X), y: r * (H + GAP_Y) })))
  const width = Math.max(1, columns.length) * (W + GAP_X) - GAP_X + 2
  const height = Math.max(...columns.map((c) => c.length), 1) * (H + GAP_Y) - GAP_Y + 2

  return (
    <div class="graph-scroll">
      <svg class="graph" width={width} height={height} viewBox={`-1 -1 ${width} ${height}`} role="img" aria-label="workflow graph">
        {steps.flatMap((s) =>
          s.dependsOn
            .filter((d) => pos.has(d))
            .map((d) => {
              const a = pos.get(d)!
              const b = pos.get(s.id)!
              const x1 = a.x + W
              const y1 = a.y + H / 2
              const x2 = b.x
              const y2 = b.y + H / 2
              const mid = (x1 + x2) / 2
              return <path key={`${d}>${s.id}`} class="edge" d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />
            }),
        )}
        {steps.map((s) => {
          const p = pos.get(s.id)!
          return (
            <a key={s.id} href={href('jobs', s.id)} class="node-link">
              <g transform={`translate(${p.x},${p.y})`} class={`node node-${s.state} ${s.id === current ? 'node-current' : ''}`} data-step={s.id}>
                <rect width={W} height={H} rx={6} />
                <text x={8} y={18} class="node-task">
                  {visible(s.task).slice(0, 22)}
                </text>
                <text x={8} y={35} class="node-meta">
                  {`${s.state} · ${shortId(s.id)}`}
                </text>
              </g>
            </a>
          )
        })}
      </svg>
    </div>
  )
}
