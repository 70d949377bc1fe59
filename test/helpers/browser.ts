import { chromium, type Browser } from 'playwright-core'

/** Headless Debian chromium, shared by the tests of one file; closed when the file ends. */
export async function launchBrowser (t: { teardown: (fn: () => Promise<void>) => void }): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic']
  })
  t.teardown(() => browser.close())
  return browser
}
