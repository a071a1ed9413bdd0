import type { Broker } from '../broker/types.js'

let tui: Promise<typeof import('./tui.js')> | undefined

/**
 * Starts loading the live view (ink and React, ~0.5 s) and returns the module. Only `tq status`
 * on a terminal calls this, so `tq status --json` and every other command start without them.
 * The command calls it early, so the import overlaps with loading the project.
 */
export function loadTui(): Promise<typeof import('./tui.js')> {
  if (!tui) {
    // ink decides at import time that it runs in CI (CI or CONTINUOUS_INTEGRATION set) and then
    // draws nothing until exit. We only get here with a terminal on stdout, so draw live anyway.
    delete process.env.CI
    delete process.env.CONTINUOUS_INTEGRATION
    // React's development build is several times slower and chatty; nothing here debugs React.
    process.env.NODE_ENV ??= 'production'
    tui = import('./tui.js')
  }
  return tui
}

/** `tq status` on a terminal: the live view until the user quits. */
export async function runLiveStatus(broker: Broker, opts: { intervalMs?: number } = {}): Promise<void> {
  const { runTui } = await loadTui()
  await runTui(broker, opts)
}
