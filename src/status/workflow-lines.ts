/**
 * A workflow's graph for people (`tq job` on any of its steps): its steps in the order they can
 * run, level by level (a step's level is one more than the deepest step it waits for), each with
 * its state and what it waits on. Side-by-side steps (a group, a chord's header) share a level; a
 * level of thousands shows its first few and counts the rest by state.
 */
import type { JobJSON, JobState } from '../broker/types.js'
import { JOIN_TASK } from '../broker/workflow.js'
import { shortIds } from '../format/short-id.js'
import { STATE_COLORS, type Line } from './job-lines.js'

/** Steps shown per level before the rest are counted. */
const SHOWN_PER_LEVEL = 8

export function workflowLines(steps: readonly JobJSON[], current: string | null): Line[] {
  const join = steps.find((s) => s.task === JOIN_TASK && s.id === s.workflowId)
  if (!join) return []
  const byId = new Map(steps.map((s) => [s.id, s]))
  const short = shortIds(steps.map((s) => s.id))
  const level = new Map<string, number>()
  const levelOf = (s: JobJSON): number => {
    const known = level.get(s.id)
    if (known !== undefined) return known
    level.set(s.id, 0)
    let l = 0
    for (const d of s.dependsOn) {
      const dep = byId.get(d)
      if (dep) l = Math.max(l, levelOf(dep) + 1)
    }
    level.set(s.id, l)
    return l
  }
  const levels: JobJSON[][] = []
  for (const s of steps) {
    if (s === join) continue
    ;(levels[levelOf(s)] ??= []).push(s)
  }

  const lines: Line[] = []
  lines.push([
    { text: 'workflow  ', color: 'gray' },
    { text: short.get(join.id)!, bold: true },
    { text: `  ${join.state}`, color: STATE_COLORS[join.state], bold: true },
    { text: `  ${steps.length - 1} step${steps.length === 2 ? '' : 's'}`, color: 'gray' },
  ])
  levels.forEach((atLevel, i) => {
    if (!atLevel) return
    atLevel.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    const shown = atLevel.slice(0, SHOWN_PER_LEVEL)
    // Keep the job asked about in view even in a long level.
    const mine = current ? atLevel.find((s) => s.id === current) : undefined
    if (mine && !shown.includes(mine)) shown[shown.length - 1] = mine
    shown.forEach((s, k) => {
      const here = s.id === current
      lines.push([
        { text: `${here ? '▶' : ' '} ${k === 0 ? String(i + 1).padStart(2) : '  '}  `, color: here ? 'cyan' : 'gray' },
        { text: short.get(s.id)!.padEnd(10), bold: here },
        { text: s.state.padEnd(10), color: STATE_COLORS[s.state] },
        { text: s.task },
        { text: waitsOn(s, short), color: 'gray' },
      ])
    })
    if (atLevel.length > shown.length) {
      const rest = atLevel.filter((s) => !shown.includes(s))
      lines.push([{ text: `        … and ${rest.length.toLocaleString('en-US')} more: ${byState(rest)}`, color: 'gray' }])
    }
  })
  return lines
}

function waitsOn(s: JobJSON, short: ReadonlyMap<string, string>): string {
  if (s.dependsOn.length === 0) return ''
  if (s.dependsOn.length <= 3) return `  ← ${s.dependsOn.map((d) => short.get(d) ?? d).join(', ')}`
  return `  ← ${s.dependsOn.length.toLocaleString('en-US')} steps`
}

function byState(steps: readonly JobJSON[]): string {
  const n = new Map<JobState, number>()
  for (const s of steps) n.set(s.state, (n.get(s.state) ?? 0) + 1)
  return [...n].map(([state, k]) => `${k.toLocaleString('en-US')} ${state}`).join(', ')
}
