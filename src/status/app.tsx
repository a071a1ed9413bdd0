/**
 * `tq status` live view: refreshes a snapshot every second, follows the terminal's size and
 * handles the keys. Talks to the broker only through the Broker interface.
 */
import { useApp, useInput, useStdin, useStdout, type Key } from 'ink'
import { useEffect, useReducer, useRef, useState } from 'react'
import type { Broker, JobJSON } from '../broker/types.js'
import { applyFilter, buildPanels, PANELS, type PanelId } from './panels.js'
import { buildSnapshot, type StatusSnapshot } from './snapshot.js'
import { shortId } from './text.js'
import { JobScreen, jobScreenLines, MainScreen, type Prompt } from './view.js'

export interface StatusAppProps {
  broker: Broker
  /** Milliseconds between refreshes (default 1000). */
  intervalMs?: number
  /** Fixed size (tests); by default the terminal's, following resizes. */
  width?: number
  height?: number
  /** Called when the user quits (after ink's own exit). */
  onQuit?: () => void
}

interface Selection {
  key: string | null
  index: number
}

interface Detail {
  id: string
  job: JobJSON | null | undefined
  children: JobJSON[]
  scroll: number
}

/** Everything the keys change, kept in one mutable object so quick key sequences never see stale state. */
interface UiState {
  snapshot: StatusSnapshot | null
  error: string | null
  focus: PanelId
  selection: Record<PanelId, Selection>
  filter: string
  prompt: Prompt | null
  confirm: (() => Promise<string>) | null
  detail: Detail | null
  message: { text: string; error?: boolean; until: number } | null
}

const RETRYABLE = new Set(['failed', 'cancelled', 'expired'])
const CANCELLABLE = new Set(['waiting', 'scheduled', 'queued', 'active'])
const MESSAGE_MS = 4000
const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
}

/** The terminal's size, following resizes. One line is left free: ink redraws a full-height frame by clearing the screen. */
function useTerminalSize(width?: number, height?: number): { width: number; height: number } {
  const { stdout } = useStdout()
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on('resize', onResize)
    return () => void stdout.off('resize', onResize)
  }, [stdout])
  return { width: Math.max(40, width ?? size.columns), height: Math.max(12, height ?? size.rows - 1) }
}

export function StatusApp({ broker, intervalMs = 1000, width: fixedWidth, height: fixedHeight, onQuit }: StatusAppProps) {
  const { exit } = useApp()
  const { isRawModeSupported } = useStdin()
  const { width, height } = useTerminalSize(fixedWidth, fixedHeight)
  const [, redraw] = useReducer((n: number) => n + 1, 0)
  const ui = useRef<UiState>({
    snapshot: null,
    error: null,
    focus: 'queues',
    selection: Object.fromEntries(PANELS.map((p) => [p, { key: null, index: 0 }])) as Record<PanelId, Selection>,
    filter: '',
    prompt: null,
    confirm: null,
    detail: null,
    message: null,
  }).current
  const refreshing = useRef<{ running: Promise<void> | null; again: boolean; stopped: boolean }>({ running: null, again: false, stopped: false }).current

  /** Reads a new snapshot (and the open job); a call made during a refresh runs once more right after it. */
  const refresh = (): Promise<void> => {
    if (refreshing.running) {
      refreshing.again = true
      return refreshing.running
    }
    const run = async () => {
      do {
        refreshing.again = false
        try {
          // With a filter, look further back so older failures of the task still show.
          ui.snapshot = await buildSnapshot(broker, { failures: ui.filter ? 500 : 50 })
          if (ui.detail) {
            const id = ui.detail.id
            const [job, children] = await Promise.all([broker.getJob(id), broker.children(id)])
            if (ui.detail?.id === id) Object.assign(ui.detail, { job, children })
          }
          ui.error = null
        } catch (err) {
          ui.error = (err as Error).message.split('\n')[0]!
        }
        if (ui.message && Date.now() > ui.message.until) ui.message = null
        if (!refreshing.stopped) redraw()
      } while (refreshing.again && !refreshing.stopped)
    }
    refreshing.running = run().finally(() => (refreshing.running = null))
    return refreshing.running
  }

  useEffect(() => {
    refreshing.stopped = false
    let timer: NodeJS.Timeout | undefined
    const loop = async () => {
      const started = Date.now()
      await refresh()
      if (!refreshing.stopped) timer = setTimeout(() => void loop(), Math.max(50, intervalMs - (Date.now() - started)))
    }
    void loop()
    return () => {
      refreshing.stopped = true
      clearTimeout(timer)
    }
  }, [broker, intervalMs])

  // Rows as drawn, to resolve selections by key.
  const models = ui.snapshot ? buildPanels(applyFilter(ui.snapshot, ui.filter), width) : null
  const rowKeys = (p: PanelId): string[] => models?.[p].rows.map((r) => r.key) ?? []
  const selectedIndex = (p: PanelId): number => {
    const keys = rowKeys(p)
    if (keys.length === 0) return 0
    const sel = ui.selection[p]
    const at = sel.key === null ? -1 : keys.indexOf(sel.key)
    return at >= 0 ? at : Math.max(0, Math.min(sel.index, keys.length - 1))
  }
  const selectedKey = (p: PanelId): string | null => rowKeys(p)[selectedIndex(p)] ?? null
  const select = (p: PanelId, index: number) => {
    const keys = rowKeys(p)
    const i = Math.max(0, Math.min(index, keys.length - 1))
    ui.selection[p] = { key: keys[i] ?? null, index: i }
  }

  const say = (text: string, error = false) => (ui.message = { text, error, until: Date.now() + MESSAGE_MS })
  const ask = (text: string, action: () => Promise<string>) => {
    ui.prompt = { kind: 'confirm', text }
    ui.confirm = action
  }
  const quit = () => {
    refreshing.stopped = true
    exit()
    onQuit?.()
  }

  /** The job an action applies to: the one open in detail, else the one selected in `panel`. */
  const targetIn = (panel: 'failures' | 'running', state: string): { id: string; task: string; state: string } | undefined => {
    const d = ui.detail
    if (d) return d.job ?? undefined
    ui.focus = panel
    const id = selectedKey(panel)
    const j = ui.snapshot?.[panel].find((x) => x.id === id)
    return j ? { ...j, state } : undefined
  }

  const askRetry = () => {
    if (ui.detail && !ui.detail.job) return
    const target = targetIn('failures', 'failed')
    if (!target) return void say('no failed job selected to retry', true)
    if (!RETRYABLE.has(target.state)) return void say(`${target.task} ${shortId(target.id)} is ${target.state}: only failed, cancelled or expired jobs can be retried`, true)
    const { id, task } = target
    ask(`Retry ${task} ${shortId(id)}?`, async () => {
      const done = await broker.retry([id])
      return done.length ? `requeued ${task} ${shortId(id)}` : `${task} ${shortId(id)} was not retryable any more`
    })
  }

  const askCancel = () => {
    if (ui.detail && !ui.detail.job) return
    const target = targetIn('running', 'active')
    if (!target) return void say('no running job selected to cancel', true)
    if (!CANCELLABLE.has(target.state)) return void say(`${target.task} ${shortId(target.id)} is ${target.state}: only waiting, scheduled, queued or running jobs can be cancelled`, true)
    const { id, task } = target
    ask(`Cancel ${task} ${shortId(id)}?`, async () => {
      const r = await broker.cancel([id])
      if (r.cancelled.length) return `cancelled ${task} ${shortId(id)}`
      if (r.aborting.length) return `aborting ${task} ${shortId(id)} (its worker stops it)`
      return `${task} ${shortId(id)} had already finished`
    })
  }

  const askPause = () => {
    ui.focus = 'queues'
    const name = selectedKey('queues')
    const q = ui.snapshot?.queues.find((x) => x.queue === name)
    if (!q) return void say('no queue selected', true)
    if (q.paused) ask(`Resume queue ${q.queue}?`, async () => (await broker.resume(q.queue), `resumed ${q.queue}`))
    else ask(`Pause queue ${q.queue}? (jobs keep accumulating)`, async () => (await broker.pause(q.queue), `paused ${q.queue}`))
  }

  const openDetail = () => {
    if (ui.focus !== 'running' && ui.focus !== 'failures') return
    const id = selectedKey(ui.focus)
    if (!id) return
    ui.detail = { id, job: undefined, children: [], scroll: 0 }
    void refresh()
  }

  const onKey = (input: string, key: Key) => {
    if (key.ctrl && input === 'c') return quit()
    if (ui.prompt?.kind === 'confirm') {
      const action = ui.confirm
      ui.prompt = null
      ui.confirm = null
      if (action && (input === 'y' || input === 'Y' || key.return)) {
        action()
          .then((text) => say(text))
          .catch((err: Error) => say(err.message.split('\n')[0]!, true))
          .finally(() => void refresh())
      } else say('nothing done')
      return
    }
    if (ui.prompt?.kind === 'filter') {
      const prompt = ui.prompt
      if (key.return) {
        ui.filter = prompt.draft.trim()
        ui.prompt = null
        void refresh()
      } else if (key.escape) ui.prompt = null
      else if (key.backspace || key.delete) prompt.draft = prompt.draft.slice(0, -1)
      else if (input && !key.ctrl && !key.meta && !key.tab && !/[\x00-\x1f\x7f]/.test(input)) prompt.draft += input
      return
    }
    if (input === 'q') return quit()
    if (ui.detail) {
      const d = ui.detail
      const bodyH = height - 2
      const maxScroll = Math.max(0, jobScreenLines(d.job, d.children, width).length - bodyH)
      if (key.escape || key.backspace || key.delete || key.leftArrow) ui.detail = null
      else if (key.upArrow || input === 'k') d.scroll = Math.max(0, Math.min(d.scroll, maxScroll) - 1)
      else if (key.downArrow || input === 'j') d.scroll = Math.min(maxScroll, d.scroll + 1)
      else if (key.pageUp) d.scroll = Math.max(0, Math.min(d.scroll, maxScroll) - bodyH)
      else if (key.pageDown || input === ' ') d.scroll = Math.min(maxScroll, d.scroll + bodyH)
      else if (input === 'r') askRetry()
      else if (input === 'c') askCancel()
      return
    }
    const at = PANELS.indexOf(ui.focus)
    if ((key.tab && !key.shift) || key.rightArrow) ui.focus = PANELS[(at + 1) % PANELS.length]!
    else if ((key.tab && key.shift) || key.leftArrow) ui.focus = PANELS[(at + PANELS.length - 1) % PANELS.length]!
    else if (key.upArrow || input === 'k') select(ui.focus, selectedIndex(ui.focus) - 1)
    else if (key.downArrow || input === 'j') select(ui.focus, selectedIndex(ui.focus) + 1)
    else if (key.pageUp) select(ui.focus, selectedIndex(ui.focus) - 10)
    else if (key.pageDown) select(ui.focus, selectedIndex(ui.focus) + 10)
    else if (key.home) select(ui.focus, 0)
    else if (key.end) select(ui.focus, Number.MAX_SAFE_INTEGER)
    else if (key.return) openDetail()
    else if (input === 'r') askRetry()
    else if (input === 'c') askCancel()
    else if (input === 'p') askPause()
    else if (input === '/') ui.prompt = { kind: 'filter', draft: ui.filter }
    else if (key.escape && ui.filter) {
      ui.filter = ''
      void refresh()
    }
  }

  useInput(
    (input, key) => {
      // Keys that arrive together (key repeat, tmux send-keys) come as one string: take them one by one.
      if ([...input].length > 1 && !key.ctrl && !key.meta && ui.prompt?.kind !== 'filter') {
        for (const ch of input) onKey(ch, { ...NO_KEY, tab: ch === '\t', return: ch === '\r', backspace: ch === '\x7f' })
      } else onKey(input, key)
      redraw()
    },
    // Without a terminal on stdin (tq status < file) the view still draws; it just takes no keys.
    { isActive: isRawModeSupported === true },
  )

  const message = ui.message && Date.now() <= ui.message.until ? ui.message : null
  if (ui.detail) {
    const d = ui.detail
    return (
      <JobScreen
        id={d.id}
        job={d.job}
        children={d.children}
        width={width}
        height={height}
        scroll={d.scroll}
        snapshot={ui.snapshot}
        filter={ui.filter}
        error={ui.error}
        message={message}
        prompt={ui.prompt}
      />
    )
  }
  return (
    <MainScreen
      snapshot={ui.snapshot}
      width={width}
      height={height}
      focus={ui.focus}
      selected={Object.fromEntries(PANELS.map((p) => [p, selectedIndex(p)])) as Record<PanelId, number>}
      filter={ui.filter}
      error={ui.error}
      message={message}
      prompt={ui.prompt}
    />
  )
}
