/**
 * Headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (whose own browser download cannot be reached here; .ci/run installs the package).
 */
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

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

/**
 * One Chromium for the test file that calls this (at its top level): launched before its tests,
 * closed after them. Each test opens its pages with `page()`.
 */
export function sharedBrowser(): { page(opts?: Parameters<Browser['newPage']>[0]): Promise<Page> } {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
  })
  return { page: (opts) => openPage(browser!, opts) }
}
