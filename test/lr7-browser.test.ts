// LiveReload protocol 7 with the real livereload-js client in real Chromium: the page loads
// livereload.js, as the plugin serves it from the livereload-js package (our own client is not
// injected), and reloads, swaps CSS and shows alerts.
import { realpathSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import liveReload from '../lib/index.js'
import type { LiveReloadOptions } from '../types/index.js'
import { launchBrowser } from './helpers/browser.js'

const browser = await launchBrowser(t)

// livereload-js reads its host and port from its own <script src>: here the plugin's /livereload.js.
const PAGE = (body: string, src = '/livereload.js') =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css"><script src="${src}"></script></head><body>${body}</body></html>`
const SITE = (src?: string) => ({ 'index.html': PAGE('<h1>one</h1>', src), 'site.css': 'h1 { color: rgb(255, 0, 0) }' })

interface Site { app: FastifyInstance, dir: string, origin: string, lines: Array<{ msg: string }> }

async function startSite (t: Test, dir: string, opts: LiveReloadOptions): Promise<Site> {
  const lines: Array<{ msg: string }> = []
  const app = Fastify({ forceCloseConnections: true, logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  t.teardown(() => app.close())
  await app.register(liveReload, { root: dir, inject: false, ...opts })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, dir, lines, origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

/** Opens a page and resolves once livereload-js says it connected (it logs with ?LR-verbose). */
async function openPage (t: Test, url: string): Promise<Page> {
  const page = await browser.newPage()
  t.teardown(() => page.close())
  const connected = page.waitForEvent('console', { predicate: m => /LiveReload is connected to .* \(protocol v7\)/.test(m.text()), timeout: 20_000 })
  await page.goto(`${url}${url.includes('?') ? '' : '?'}LR-verbose`)
  await connected
  return page
}

const setMarker = async (page: Page) => await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42 })
const hasMarker = async (page: Page) => await page.evaluate(() => (window as unknown as { marker?: number }).marker === 42)

t.test('livereload-js on the app\'s port: a page edit reloads the page', async t => {
  const site = await startSite(t, realpathSync(t.testdir(SITE())), { livereload: true })
  const page = await openPage(t, `${site.origin}/`)
  t.equal(await page.locator('script[src*="__livereload"]').count(), 0, 'our own client is not on the page')
  await setMarker(page)
  const reloaded = page.waitForEvent('load')
  await writeFile(join(site.dir, 'index.html'), PAGE('<h1>two</h1>'))
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
  t.notOk(await hasMarker(page), 'a new document')
})

t.test('livereload-js on the app\'s port: a stylesheet edit is swapped live, without a reload', async t => {
  const site = await startSite(t, realpathSync(t.testdir(SITE())), { livereload: true })
  const page = await openPage(t, `${site.origin}/`)
  await setMarker(page)
  await writeFile(join(site.dir, 'site.css'), 'h1 { color: rgb(0, 0, 255) }')
  await page.waitForFunction(() => getComputedStyle(document.querySelector('h1')!).color === 'rgb(0, 0, 255)')
  t.ok(await hasMarker(page), 'same document')
  t.match(await page.getAttribute('link[rel=stylesheet]:last-of-type', 'href'), /site\.css\?livereload=/, 'livereload-js swapped the link')
})

t.test('livereload-js shows a build error as an alert, and stays connected', async t => {
  const site = await startSite(t, realpathSync(t.testdir(SITE())), { livereload: true })
  const page = await openPage(t, `${site.origin}/`)
  const dialog = page.waitForEvent('dialog')
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3 }] })
  const alert = await dialog
  t.equal(alert.type(), 'alert')
  t.equal(alert.message(), 'Build failed in src/a.md:3:\nUnexpected token')
  await alert.dismiss()
  await setMarker(page)
  await writeFile(join(site.dir, 'site.css'), 'h1 { color: rgb(0, 128, 0) }')
  await page.waitForFunction(() => getComputedStyle(document.querySelector('h1')!).color === 'rgb(0, 128, 0)')
  t.ok(await hasMarker(page), 'still connected: the swap arrived')
})

// The port of the extra listener is known once it listens: the page reads it from its own URL.
const OPTIONS_FROM_URL = "<script>window.LiveReloadOptions = { host: '127.0.0.1', port: new URLSearchParams(location.search).get('lrport') }</script><script src=\"/livereload.js\"></script>"

t.test('livereload-js on the extra listener (another port than the page\'s) swaps and reloads', async t => {
  const dir = realpathSync(t.testdir({ 'index.html': PAGE('<h1>one</h1>', '').replace('<script src=""></script>', OPTIONS_FROM_URL), 'site.css': 'h1 { color: rgb(255, 0, 0) }' }))
  const site = await startSite(t, dir, { livereload: { port: 0 } })
  const port = Number(/:(\d+)\/livereload$/.exec(site.lines.find(l => l.msg.startsWith('LiveReload protocol 7 on'))!.msg)![1])
  const page = await openPage(t, `${site.origin}/?lrport=${port}&`)
  t.equal(site.app.liveReload.clients, 1)
  await setMarker(page)
  await writeFile(join(dir, 'site.css'), 'h1 { color: rgb(0, 0, 255) }')
  await page.waitForFunction(() => getComputedStyle(document.querySelector('h1')!).color === 'rgb(0, 0, 255)')
  t.ok(await hasMarker(page), 'swapped live')
  const reloaded = page.waitForEvent('load')
  await writeFile(join(dir, 'index.html'), PAGE('<h1>two</h1>', '').replace('<script src=""></script>', OPTIONS_FROM_URL))
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
})
