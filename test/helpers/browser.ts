import { writeFile } from 'node:fs/promises'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Test } from 'tap'
import liveReload from '../../lib/index.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { listen, testApp } from './app.js'

/** Headless Debian chromium, shared by the tests of one file; closed when the file ends. */
export async function launchBrowser (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic']
  })
  t.teardown(() => browser.close())
  return browser
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
  const app = testApp(t, { forceCloseConnections: true, logger })
  setup?.(app)
  await app.register(liveReload, { root: dir, ...options })
  const bound = await listen(app, port)
  return { app, dir, port: bound, origin: `http://127.0.0.1:${bound}` }
}

/** Opens a page at `url` and resolves once `ready(page)`, started before navigating, resolves. */
export async function openPage (t: Test, browser: Browser, url: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
  const page = await browser.newPage()
  t.teardown(() => page.close())
  const isReady = ready(page)
  await page.goto(url)
  await isReady
  return page
}

/** Counts the page's loads from now on. */
export function countLoads (page: Page): () => number {
  let loads = 0
  page.on('load', () => { loads++ })
  return () => loads
}

/** Marks the document: the mark survives a stylesheet swap, not a reload. */
export async function setMarker (page: Page): Promise<void> {
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42 })
}

export async function hasMarker (page: Page): Promise<boolean> {
  return await page.evaluate(() => (window as unknown as { marker?: number }).marker === 42)
}

/** Writes a stylesheet that colours h1 `rgb` and waits until the page shows that colour. */
export async function recolour (page: Page, file: string, rgb: string): Promise<void> {
  await writeFile(file, `h1 { color: ${rgb} }`)
  await page.waitForFunction(rgb => getComputedStyle(document.querySelector('h1')!).color === rgb, rgb)
}

/** Marks the document, swaps a stylesheet, and says whether the mark is still there: no reload came meanwhile. */
export async function survivesSwap (page: Page, file: string, rgb: string): Promise<boolean> {
  await setMarker(page)
  await recolour(page, file, rgb)
  return await hasMarker(page)
}
