/**
 * The live view's components: pure renderers of a snapshot and the UI state (no broker, no
 * timers, no keys), so ink-testing-library can draw them at any size.
 */
import { Box, Text } from 'ink'
import type { JobJSON } from '../broker/types.js'
import { jobLines, type Line } from './job-lines.js'
import { allocateHeights, applyFilter, buildPanels, PANELS, scrollOffset, type PanelId, type PanelModel, type Row, type Seg } from './panels.js'
import type { StatusSnapshot } from './snapshot.js'
import { cell, truncate } from './text.js'
import { safeText } from '../format/safe-text.js'

export function Segs({ segs, dim, inverse }: { segs: readonly Seg[]; dim?: boolean; inverse?: boolean }) {
  return (
    <Text wrap="truncate" dimColor={dim} inverse={inverse}>
      {segs.map((s, i) => (
        <Text key={i} color={s.color} bold={s.bold} dimColor={s.dim || dim}>
          {safeText(s.text)}
        </Text>
      ))}
    </Text>
  )
}

export interface PanelViewProps {
  model: PanelModel
  focused: boolean
  /** Index of the selected row. */
  selected: number
  /** Lines for rows (the title line comes on top). */
  rows: number
  width: number
}

/** A titled table: the title line doubles as the column header; the selected row is marked. */
export function PanelView({ model, focused, selected, rows, width }: PanelViewProps) {
  const count = model.rows.length
  const overflow = count > rows
  const window = overflow ? Math.max(1, rows - 1) : rows
  const offset = scrollOffset(selected, count, window)
  const shown = model.rows.slice(offset, offset + window)
  const above = offset
  const below = count - offset - shown.length
  return (
    <Box flexDirection="column" height={rows + 1} width={width} overflow="hidden">
      <Text wrap="truncate">
        <Text color={focused ? 'cyan' : undefined}>{focused ? '▌' : ' '}</Text>
        <Text bold color={focused ? 'cyan' : 'white'} inverse={focused}>
          {cell(safeText(model.title), model.titleWidth)}
        </Text>
        {model.header.map((s, i) => (
          <Text key={i} color={s.color}>
            {safeText(s.text)}
          </Text>
        ))}
      </Text>
      {count === 0 ? (
        <Text color="gray" wrap="truncate">
          {'  ' + safeText(model.empty)}
        </Text>
      ) : (
        shown.map((row: Row, i) => {
          const isSelected = focused && offset + i === selected
          return (
            <Box key={row.key} width={width}>
              <Text color="cyan">{isSelected ? '›' : ' '}</Text>
              <Segs segs={row.segs} dim={row.dim} inverse={isSelected} />
            </Box>
          )
        })
      )}
      {overflow ? (
        <Text color="gray" wrap="truncate">
          {`  ${above ? `↑ ${above} more  ` : ''}${below ? `↓ ${below} more` : ''}${focused ? '' : '  (tab here, then ↑↓)'}`}
        </Text>
      ) : null}
    </Box>
  )
}

export interface HeaderProps {
  snapshot: StatusSnapshot | null
  width: number
  filter: string
  error: string | null
  message: { text: string; error?: boolean } | null
}

export function Header({ snapshot, width, filter, error, message }: HeaderProps) {
  const time = snapshot ? new Date(snapshot.time).toTimeString().slice(0, 8) : '--:--:--'
  const alive = snapshot ? snapshot.workers.filter((w) => w.alive).length : 0
  const right = `${filter ? `filter: ${safeText(filter)}  ` : ''}${alive} worker${alive === 1 ? '' : 's'}  ${time}`
  const title = 'tq status'
  const middleW = Math.max(0, width - title.length - 2 - right.length - 1)
  let middle: Seg
  if (error) middle = { text: truncate(safeText(`broker error: ${error}`), middleW), color: 'red' }
  else if (message) middle = { text: truncate(safeText(message.text), middleW), color: message.error ? 'red' : 'green' }
  else middle = { text: truncate(safeText(snapshot?.broker ?? 'connecting…'), middleW), color: 'gray' }
  return (
    <Text wrap="truncate">
      <Text bold color="cyan">
        {title}
      </Text>
      {'  '}
      <Text color={middle.color}>{cell(middle.text, middleW)}</Text>{' '}
      <Text color={filter ? 'yellow' : 'gray'}>{right}</Text>
    </Text>
  )
}

export type Prompt = { kind: 'filter'; draft: string } | { kind: 'confirm'; text: string }

/** The bottom line: the keys, or the question being asked. */
export function Footer({ width, prompt, detail }: { width: number; prompt: Prompt | null; detail: boolean }) {
  if (prompt?.kind === 'filter') {
    return (
      <Text wrap="truncate">
        <Text color="yellow" bold>
          filter by task:{' '}
        </Text>
        <Text>{safeText(prompt.draft)}</Text>
        <Text inverse> </Text>
        <Text color="gray">{'   ⏎ apply  esc cancel  (empty: show all)'}</Text>
      </Text>
    )
  }
  if (prompt?.kind === 'confirm') {
    return (
      <Text wrap="truncate">
        <Text color="yellow" bold>
          {truncate(safeText(prompt.text), Math.max(10, width - 16))}
        </Text>
        <Text>{'  y/⏎ yes  n no'}</Text>
      </Text>
    )
  }
  const keys: [string, string][] = detail
    ? [
        ['↑↓', 'scroll'],
        ['r', 'retry'],
        ['c', 'cancel'],
        ['esc', 'back'],
        ['q', 'quit'],
      ]
    : [
        ['tab/←→', 'panel'],
        ['↑↓', 'select'],
        ['⏎', 'open'],
        ['r', 'retry'],
        ['c', 'cancel'],
        ['p', 'pause'],
        ['/', 'filter'],
        ['q', 'quit'],
      ]
  return (
    <Text wrap="truncate">
      {keys.map(([k, what], i) => (
        <Text key={k}>
          {i ? '  ' : ''}
          <Text bold color="cyan">
            {k}
          </Text>
          <Text color="gray">{` ${what}`}</Text>
        </Text>
      ))}
    </Text>
  )
}

export interface MainScreenProps {
  snapshot: StatusSnapshot | null
  width: number
  height: number
  focus: PanelId
  /** Selected row index per panel (already clamped to the rows). */
  selected: Record<PanelId, number>
  filter: string
  error: string | null
  message: { text: string; error?: boolean } | null
  prompt: Prompt | null
}

/** The dashboard: header, the five panels sized to the screen, footer. */
export function MainScreen(p: MainScreenProps) {
  const models = p.snapshot ? buildPanels(applyFilter(p.snapshot, p.filter), p.width) : null
  const wanted = Object.fromEntries(PANELS.map((id) => [id, Math.max(1, models?.[id].rows.length ?? 1)])) as Record<PanelId, number>
  const heights = allocateHeights(p.height - 2, wanted)
  return (
    <Box flexDirection="column" width={p.width} height={p.height} overflow="hidden">
      <Header snapshot={p.snapshot} width={p.width} filter={p.filter} error={p.error} message={p.message} />
      {models ? (
        PANELS.map((id) => <PanelView key={id} model={models[id]} focused={p.focus === id} selected={p.selected[id]} rows={heights[id]} width={p.width} />)
      ) : (
        <Text color="gray">{p.error ? '' : 'reading the broker…'}</Text>
      )}
      <Box flexGrow={1} />
      <Footer width={p.width} prompt={p.prompt} detail={false} />
    </Box>
  )
}

export interface JobScreenProps {
  /** undefined while loading, null when the job is gone. */
  job: JobJSON | null | undefined
  /** Shown while the job loads or when it is gone. */
  id: string
  children: readonly JobJSON[]
  width: number
  height: number
  scroll: number
  snapshot: StatusSnapshot | null
  filter: string
  error: string | null
  message: { text: string; error?: boolean } | null
  prompt: Prompt | null
}

/** Lines the job screen shows for a job at this width (for scrolling bounds). */
export function jobScreenLines(job: JobJSON | null | undefined, children: readonly JobJSON[], width: number): Line[] {
  return job ? jobLines(job, children, width - 1) : []
}

/** One job, full screen: payload, result or error with stack, every attempt, children. */
export function JobScreen(p: JobScreenProps) {
  const lines = jobScreenLines(p.job, p.children, p.width)
  const bodyH = Math.max(1, p.height - 2)
  const scroll = Math.max(0, Math.min(p.scroll, lines.length - bodyH))
  const more = lines.length - scroll - bodyH
  const shown = lines.slice(scroll, scroll + (more > 0 ? bodyH - 1 : bodyH))
  return (
    <Box flexDirection="column" width={p.width} height={p.height} overflow="hidden">
      <Header snapshot={p.snapshot} width={p.width} filter={p.filter} error={p.error} message={p.message} />
      {p.job ? (
        shown.map((line, i) => (
          <Box key={scroll + i} width={p.width}>
            <Text> </Text>
            <Segs segs={line} />
          </Box>
        ))
      ) : (
        <Text color="gray">{p.job === undefined ? `  loading job ${safeText(p.id)}…` : `  job ${safeText(p.id)} not found (purged?)`}</Text>
      )}
      {more > 0 ? <Text color="gray">{`  ↓ ${more} more lines`}</Text> : null}
      <Box flexGrow={1} />
      <Footer width={p.width} prompt={p.prompt} detail />
    </Box>
  )
}
