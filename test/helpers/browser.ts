import { writeFile } from 'node:fs/promises'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Frame, type Page } from 'playwright-core'
import tap, { type Test } from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { harness } from './harness.js'

/**
 * Debian's chromium-headless-shell, one per process: Chromium's own headless build (the one
 * Playwright runs headless), the same Blink as the full browser at about 60 % of its CPU (the
 * browser files took 28 s of CPU against 46 s with `chromium`, 2026-11-27). The Node 24 lane runs
 * the full `chromium` (CHROMIUM_PATH, set by package.json's `test:node24`), so each is tested. The browser
 * files of test/browser/ share a process (scripts/tap-groups.js), and a launch costs CPU. Closed
 * when the process's tests end.
 */
let launched: Promise<Browser> | undefined
function launchOnce (): Promise<Browser> {
  if (launched !== undefined) return launched
  const browser = chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic']
  })
  tap.teardown(async () => { await (await browser).close() })
  launched = browser
  return browser
}

/**
 * The one browser context the tests of a file share (each site is its own origin, a port of its
 * own, so their storage never meets); closed when `t` ends. A context per tab would cost each
 * tab a browser context of its own.
 */
export async function browserContext (t: Test, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await (await launchOnce()).newContext(options)
  t.teardown(() => context.close())
  return context
}

export interface Site { app: FastifyInstance, dir: string, port: number, origin: string }

/**
 * Serves `dir` with the plugin on a loopback port. `setup` runs before the plugin is registered
 * (hooks the channel routes inherit, routes of the app's own).
 */
export async function serveSite (t: Test, dir: string, options: LiveReloadOptions = {}, { port = 0, logger, setup }: {
  port?: number
  logger?: FastifyServerOptions['logger']
  setup?: (app: FastifyInstance) => void
} = {}): Promise<Site> {
  // The restart tests close a server under a live page: a request of the page still in flight
  // would keep its keep-alive connection, and Node's server.close() with it, open for 72 s.
  const site = await harness(t, { options: { root: dir, ...options }, fastify: { forceCloseConnections: true, logger }, setup, port })
  return { app: site.app, dir, port: site.port, origin: site.origin }
}

/**
 * Closes a tab: first it leaves its site for about:blank, then it is closed. Its client may be
 * reloading the page as the test ends (a message that came after the test's last look), and
 * Chromium can drop a close that races a navigation's commit: page.close() then waits forever
 * (crbug.com/536385539, microsoft/playwright#42068; a run of the browser tests here hung so, 29
 * minutes in a teardown). On about:blank no client runs, so nothing navigates during the close;
 * a reload that interrupts the way there is followed by another try.
 */
export async function closeTab (page: Page): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await page.goto('about:blank')
      break
    } catch (err) {
      if (tries === 3) throw err
    }
  }
  await page.close()
}

/** Opens a new tab at `url` and resolves once `ready(page)`, started before navigating, resolves. */
export async function openPage (t: Test, browser: BrowserContext, url: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await browser.newPage()
  t.teardown(() => closeTab(page))
  await navigate(page, url, ready)
  return page
}

/**
 * A tab the tests of a file take turns in (see `visit`): each new tab costs Chromium a renderer
 * process, 0.3 to 1 s of a 2-core machine. Closed when the file ends.
 */
export async function sharedTab (t: Test, browser: BrowserContext): Promise<Page> {
  const tab = await browser.newPage()
  t.teardown(() => closeTab(tab))
  return tab
}

/**
 * Loads `url` in the shared `tab`, as `openPage` does in a new one. When the test ends, the
 * listeners it put on the tab go, and the tab leaves the site (about:blank) before the site's
 * server closes, so its client does not retry against a closed port meanwhile.
 */
export async function visit (t: Test, tab: Page, url: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
  t.teardown(async () => {
    tab.removeAllListeners()
    await tab.goto('about:blank')
  })
  await navigate(tab, url, ready)
  return tab
}

async function navigate (page: Page, url: string, ready: (page: Page) => Promise<unknown>): Promise<void> {
  const isReady = ready(page)
  await page.goto(url)
  await isReady
}

/**
 * The first `event` of `page` that `predicate` accepts once the page's main frame has navigated
 * (a reload) from now on. Both listeners are on from the call, so an event of the new document
 * is seen whenever Playwright delivers it: a wait begun after the `load` event (`.then`) missed
 * the console line of a page that connected in the same read of Playwright's pipe as its load,
 * on a loaded machine. Rejects after `timeoutMs`.
 */
export async function afterReload<T> (page: Page, event: 'console' | 'websocket', predicate: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    let hasNavigated = false
    const onNavigated = (frame: Frame): void => { if (frame === page.mainFrame()) hasNavigated = true }
    const onEvent = (value: T): void => {
      if (!hasNavigated || !predicate(value)) return
      done()
      resolve(value)
    }
    const timer = setTimeout(() => { done(); reject(new Error(`no ${event} after a reload within ${timeoutMs} ms`)) }, timeoutMs)
    function done (): void {
      clearTimeout(timer)
      page.off('framenavigated', onNavigated)
      page.off(event as 'console', onEvent as never)
    }
    page.on('framenavigated', onNavigated)
    page.on(event as 'console', onEvent as never)
  })
}

/** A page's loads from now on; `why` lists the reasons its client gave for reloading it. */
export interface Loads {
  (): number
  readonly why: string[]
}

/** Counts the page's loads from now on, and keeps the client's reasons for them. */
export function countLoads (page: Page): Loads {
  let loads = 0
  const why: string[] = []
  page.on('load', () => { loads++ })
  page.on('console', message => {
    const text = message.text()
    if (text.startsWith('[livereload] reloading: ')) why.push(text.slice(24))
  })
  return Object.assign(() => loads, { why })
}

/**
 * A tab of either driver: Playwright's (Chromium) and Puppeteer's (Firefox, test/helpers/firefox.ts)
 * both evaluate an expression in the page, which is all the helpers below need.
 */
export interface Evaluates { evaluate (expression: string): Promise<unknown> }

/** Marks the document: the mark survives a stylesheet swap, not a reload. */
export async function setMarker (page: Evaluates): Promise<void> {
  await page.evaluate('window.marker = 42')
}

export async function hasMarker (page: Evaluates): Promise<boolean> {
  return await page.evaluate('window.marker === 42') === true
}

/**
 * Resolves once `predicate(arg)` holds in the page's current document. It is looked at now, then
 * after each DOM change, each resource load, each scroll and each field's input: every change the
 * client makes (a swapped <link> and its load, an <img> source, the overlay, a restored scroll
 * position, a mirrored field) is one of those. A scroll's event comes with a frame, which a
 * background tab does not get: wait for a scroll in the tab at the front. page.waitForFunction
 * instead runs it on every animation frame, which keeps Chromium painting frames throughout the
 * wait. `predicate` must use nothing but `arg`.
 */
export async function until<Arg> (page: Evaluates, predicate: (arg: Arg) => boolean, arg?: Arg): Promise<void> {
  // An expression, not a function and its argument: a function passed as an argument would have
  // to be revived with eval, which a page's Content-Security-Policy may forbid.
  const expression = `(${waitInPage})(${predicate}, ${JSON.stringify(arg ?? null)})`
  // The browser sets no bound on an evaluation: a page that never gets there would hold the test
  // process until tap's timeout (a loaded run's did, 18 minutes). This one fails, saying what.
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the page did not come to ${String(predicate)} (${JSON.stringify(arg ?? null)}) within ${UNTIL_MS} ms`)), UNTIL_MS)
  })
  try {
    // A navigation meanwhile (a reload the client made: on a loaded machine one write can still
    // be two messages, and two reloads) destroys the document looked in: look in the next one.
    for (let tries = 1; ; tries++) {
      try {
        await Promise.race([page.evaluate(expression), bound])
        return
      } catch (err) {
        if (tries === 10 || !/Execution context was destroyed|Cannot find context/.test(String(err))) throw err
      }
    }
  } finally {
    clearTimeout(timer)
  }
}

/** How long `until` waits for the page (ms): a bound on a hang, not a speed check. */
const UNTIL_MS = 30_000

function waitInPage<Arg> (predicate: (arg: Arg) => boolean, arg: Arg): Promise<void> {
  return new Promise(resolve => {
    // What changes a page without a mutation: a load, a scroll (the window's or an element's), a
    // field's value. An element's load and scroll do not bubble: the capture passes the document.
    const events = ['load', 'scroll', 'input', 'change']
    const observer = new MutationObserver(check)
    function check (): void {
      if (!predicate(arg)) return
      observer.disconnect()
      for (const type of events) document.removeEventListener(type, check, true)
      resolve()
    }
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true })
    for (const type of events) document.addEventListener(type, check, true)
    check()
  })
}

/** Resolves once the page's h1 shows colour `rgb`. */
export async function colourShown (page: Evaluates, rgb: string): Promise<void> {
  await until(page, rgb => getComputedStyle(document.querySelector('h1')!).color === rgb, rgb)
}

/** Writes a stylesheet that colours h1 `rgb` and waits until the page shows that colour. */
export async function recolour (page: Evaluates, file: string, rgb: string): Promise<void> {
  await writeFile(file, `h1 { color: ${rgb} }`)
  await colourShown(page, rgb)
}

/** Marks the document, swaps a stylesheet, and says whether the mark is still there: no reload came meanwhile. */
export async function survivesSwap (page: Evaluates, file: string, rgb: string): Promise<boolean> {
  await setMarker(page)
  await recolour(page, file, rgb)
  return await hasMarker(page)
}
