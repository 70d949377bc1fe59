// Debian's firefox-esr, driven by puppeteer-core over WebDriver BiDi (playwright-core's Firefox
// needs a patched build). Puppeteer sees no WebSocket frames: every wait here is on the page's
// console lines, its loads, or its state (`until` in browser.ts works on these tabs too).
import puppeteer, { type Browser, type BrowserContext, type ConsoleMessage, type Page, type PageEvents } from 'puppeteer-core'
import tap, { type Test } from 'tap'

/** Long enough for a loaded 2-core machine; a wait that never ends fails its test, not the whole file. */
const WAIT_MS = 20_000

/** One Firefox per process, shared by the files of test/firefox/: a launch costs 3 to 7 s. */
let launched: Promise<Browser> | undefined
function launchOnce (): Promise<Browser> {
  if (launched !== undefined) return launched
  const browser = puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true
  })
  tap.teardown(async () => { await (await browser).close() })
  launched = browser
  return browser
}

/** A browser context of its own (storage apart from other files'), closed when `t` ends. */
export async function firefoxContext (t: Test): Promise<BrowserContext> {
  const context = await (await launchOnce()).createBrowserContext()
  t.teardown(() => context.close())
  return context
}

/** A tab the tests of a file take turns in (see `visit`); it leaves for about:blank, then closes, when `t` ends. */
export async function firefoxTab (t: Test, context: BrowserContext): Promise<Page> {
  const tab = await context.newPage()
  t.teardown(async () => {
    await tab.goto('about:blank')
    await tab.close()
  })
  return tab
}

/**
 * Loads `url` in `tab` and resolves once `ready(tab)`, started before navigating, resolves. When
 * the test ends, the listeners it put on the tab go, and the tab leaves the site (about:blank)
 * before the site's server closes, so its client does not retry against a closed port meanwhile.
 */
export async function visit (t: Test, tab: Page, url: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
  t.teardown(async () => {
    tab.removeAllListeners('console')
    tab.removeAllListeners('load')
    await tab.goto('about:blank')
  })
  // Each file's tab opens at load, the last one in front: a client in a hidden tab does not
  // retry (it waits for the tab to be shown), and a fallback or a restart needs a retry.
  await tab.bringToFront()
  const isReady = ready(tab)
  await tab.goto(url)
  await isReady
  return tab
}

/** Resolves with the page's next `event` that `matches`; rejects, naming `what`, after 20 s. */
function next<Key extends 'console' | 'load'> (page: Page, event: Key, matches: (value: PageEvents[Key]) => boolean, what: string): Promise<PageEvents[Key]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      page.off(event, listener)
      reject(new Error(`${what}: not seen within ${WAIT_MS} ms`))
    }, WAIT_MS)
    const listener = (value: PageEvents[Key]): void => {
      if (!matches(value)) return
      clearTimeout(timer)
      page.off(event, listener)
      resolve(value)
    }
    page.on(event, listener)
  })
}

/** Resolves at the client's next console line `[livereload] ${text}`, exactly. */
export async function consoleLine (page: Page, text: string): Promise<void> {
  const line = `[livereload] ${text}`
  await next(page, 'console', message => (message as ConsoleMessage).text() === line, `the console line ${JSON.stringify(line)}`)
}

/** Resolves at the page's next load. */
export async function nextLoad (page: Page): Promise<void> {
  await next(page, 'load', () => true, 'a load of the page')
}

/** Counts the page's loads from now on. */
export function countLoads (page: Page): () => number {
  let loads = 0
  page.on('load', () => { loads++ })
  return () => loads
}
