/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (whose own browser download cannot be reached here; .ci/run installs the package).
 */
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.TQ_TEST_CHROMIUM ?? '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}
