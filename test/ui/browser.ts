/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (whose own browser download cannot be reached here; .ci/run installs the package).
 */
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.TQ_TEST_CHROMIUM ?? '/usr/bin/chromium'

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}

/**
 * A page whose waits allow for a loaded machine (2 cores shared with other test files and tq
 * processes): a hang guard, not a speed bound.
 */
export async function openPage(browser: Browser, opts: Parameters<Browser['newPage']>[0] = {}): Promise<Page> {
  const page = await browser.newPage(opts)
  page.setDefaultTimeout(60_000)
  return page
}
