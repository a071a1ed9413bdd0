import { createContext } from 'preact'
import { useContext, useState } from 'preact/hooks'
import type { ComponentChildren } from 'preact'
import { visible } from '../text.js'

/** What an action reports: a line at the top of the page for a few seconds. */
type Say = (text: string, error?: boolean) => void
const NoticeContext = createContext<Say>(() => undefined)

export function NoticeProvider({ children }: { children: ComponentChildren }) {
  const [notice, setNotice] = useState<{ text: string; error: boolean; n: number } | null>(null)
  const say: Say = (text, error = false) => {
    const n = Date.now()
    setNotice({ text, error, n })
    setTimeout(() => setNotice((cur) => (cur?.n === n ? null : cur)), 6000)
  }
  return (
    <NoticeContext.Provider value={say}>
      {notice ? (
        <div class={`notice ${notice.error ? 'notice-error' : ''}`} role={notice.error ? 'alert' : 'status'}>
          {visible(notice.text)}
        </div>
      ) : null}
      {children}
    </NoticeContext.Provider>
  )
}

export const useSay = () => useContext(NoticeContext)

/** Runs an action, says what it did or why it failed. */
export function useAction() {
  const say = useSay()
  const [busy, setBusy] = useState(false)
  const run = async (action: () => Promise<string>, after?: () => void) => {
    setBusy(true)
    try {
      say(await action())
      after?.()
    } catch (err) {
      say((err as Error).message, true)
    } finally {
      setBusy(false)
    }
  }
  return { busy, run }
}
