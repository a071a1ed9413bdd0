/**
 * Mounts the live view on the terminal. Only `tq status` on a terminal loads this module
 * (it pulls in ink and React, ~0.5 s), through `runLiveStatus` in ./live.ts.
 */
import { render } from 'ink'
import type { Broker } from '../broker/types.js'
import { StatusApp } from './app.js'

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H'
const ALT_SCREEN_OFF = '\x1b[?1049l'

export async function runTui(broker: Broker, opts: { intervalMs?: number } = {}): Promise<void> {
  const stdout = process.stdout
  // Draw on the alternate screen, like top: the shell's screen comes back untouched on quit.
  stdout.write(ALT_SCREEN_ON)
  const instance = render(<StatusApp broker={broker} intervalMs={opts.intervalMs} />, {
    exitOnCtrlC: true,
    patchConsole: true,
  })
  // A terminal shrinking leaves old lines behind; repaint from a clean screen.
  const onResize = () => instance.clear()
  stdout.on('resize', onResize)
  const stop = () => instance.unmount()
  // Signals end the view the same way, so the shell's screen is always given back.
  const signals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const
  for (const s of signals) process.once(s, stop)
  try {
    await instance.waitUntilExit()
  } finally {
    stdout.off('resize', onResize)
    for (const s of signals) process.off(s, stop)
    stdout.write(ALT_SCREEN_OFF)
  }
}
