/**
 * The live connection: one EventSource per page to /api/events. Each `overview` event carries the
 * overview and bumps `version`; pages showing other data read it again when `version` moves
 * (useLiveData), so they update on their own without polling. `broker` events say whether the
 * server can read the broker; a dropped stream means the server itself is gone (EventSource
 * reconnects by itself, and the banner goes when it does).
 */
import { createContext } from 'preact'
import { useContext, useEffect, useRef, useState } from 'preact/hooks'
import type { ComponentChildren } from 'preact'
import type { Overview } from './types.js'

export interface Live {
  overview: Overview | null
  version: number
  /** The server's last word on the broker: null when fine. */
  brokerError: string | null
  /** Whether the event stream is open. */
  connected: boolean
}

const LiveContext = createContext<Live>({ overview: null, version: 0, brokerError: null, connected: false })

export function LiveProvider({ children }: { children: ComponentChildren }) {
  const [live, setLive] = useState<Live>({ overview: null, version: 0, brokerError: null, connected: false })
  useEffect(() => {
    const source = new EventSource('/api/events')
    source.addEventListener('open', () => setLive((l) => ({ ...l, connected: true })))
    source.addEventListener('error', () => setLive((l) => ({ ...l, connected: false })))
    source.addEventListener('overview', (e) => {
      const overview = JSON.parse((e as MessageEvent<string>).data) as Overview
      setLive((l) => ({ overview, version: l.version + 1, brokerError: null, connected: true }))
    })
    source.addEventListener('broker', (e) => {
      const d = JSON.parse((e as MessageEvent<string>).data) as { ok: boolean; error?: string }
      setLive((l) => ({ ...l, brokerError: d.ok ? null : (d.error ?? 'broker unavailable'), version: l.version + 1 }))
    })
    return () => source.close()
  }, [])
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>
}

export const useLive = () => useContext(LiveContext)

export interface Loaded<T> {
  data: T | undefined
  error: { status: number; message: string } | null
  /** Read again now (after an action). */
  reload: () => void
}

/**
 * Data a page reads from the API, read again on every live update and when `key` changes. At
 * most one read is in flight; updates arriving meanwhile are folded into one more read. With
 * `minGapMs`, live updates re-read at most that often (a filtered listing on a busy broker can
 * be a large scan; a change of `key` or reload() still reads at once).
 */
export function useLiveData<T>(read: () => Promise<T>, key: string, minGapMs = 0): Loaded<T> {
  const { version } = useLive()
  const [state, setState] = useState<{ key: string; data: T | undefined; error: Loaded<T>['error'] }>({ key, data: undefined, error: null })
  const flight = useRef<{ busy: boolean; again: boolean; last: number; timer: number | null; key: string; nudge: number }>({ busy: false, again: false, last: 0, timer: null, key: '', nudge: 0 })
  const latest = useRef({ read, key })
  latest.current = { read, key }
  const [nudge, setNudge] = useState(0)

  useEffect(() => {
    const f = flight.current
    // Only a live update (same key, no reload asked) waits out the gap.
    const liveOnly = f.key === key && f.nudge === nudge
    f.key = key
    f.nudge = nudge
    const wait = liveOnly ? f.last + minGapMs - Date.now() : 0
    if (wait > 0) {
      if (f.timer === null) f.timer = window.setTimeout(() => ((f.timer = null), setNudge((n) => n + 1)), wait)
      return
    }
    if (f.busy) {
      f.again = true
      return
    }
    const run = async () => {
      f.busy = true
      f.last = Date.now()
      do {
        f.again = false
        const { read: r, key: k } = latest.current
        try {
          const data = await r()
          if (latest.current.key === k) setState({ key: k, data, error: null })
        } catch (err) {
          const e = err as { status?: number; message: string }
          if (latest.current.key === k) setState((s) => ({ key: k, data: s.key === k ? s.data : undefined, error: { status: e.status ?? 0, message: e.message } }))
        }
      } while (f.again)
      f.busy = false
    }
    void run()
  }, [version, key, nudge])

  const fresh = state.key === key
  return { data: fresh ? state.data : undefined, error: fresh ? state.error : null, reload: () => setNudge((n) => n + 1) }
}
