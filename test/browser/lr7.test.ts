// LiveReload protocol 7 with the real livereload-js client in real Chromium: the page loads
// livereload.js, as the plugin serves it from the livereload-js package (our own client is not
// injected), and reloads, swaps CSS and shows alerts.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { hasMarker, browserContext, serveSite, setMarker, sharedTab, survivesSwap, visit, type Site } from '../helpers/browser.js'
import { fixture } from '../helpers/fixture.js'
import { logLines } from '../helpers/log.js'

const tab = await sharedTab(t, await browserContext(t))

// livereload-js reads its host and port from its own <script src>: here the plugin's /livereload.js.
const PAGE = (body: string, src = '/livereload.js') =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css"><script src="${src}"></script></head><body>${body}</body></html>`
const SITE = (src?: string) => ({ 'index.html': PAGE('<h1>one</h1>', src), 'site.css': 'h1 { color: rgb(255, 0, 0) }' })

async function startSite (t: Test, dir: string, opts: LiveReloadOptions): Promise<Site & { lines: Array<{ msg: string }> }> {
  const log = logLines('info')
  return { ...await serveSite(t, dir, { inject: false, ...opts }, { logger: log.logger }), lines: log.lines }
}

/** Opens a page and resolves once livereload-js says it connected (it logs with ?LR-verbose). */
async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, `${url}${url.includes('?') ? '' : '?'}LR-verbose`,
    page => page.waitForEvent('console', { predicate: m => /LiveReload is connected to .* \(protocol v7\)/.test(m.text()), timeout: 20_000 }))
}

t.test('livereload-js on the app\'s port: a page edit reloads the page', async t => {
  const site = await startSite(t, fixture(t, SITE()), { livereload: true })
  const page = await open(t, `${site.origin}/`)
  t.equal(await page.locator('script[src*="__livereload"]').count(), 0, 'our own client is not on the page')
  await setMarker(page)
  const reloaded = page.waitForEvent('load')
  await writeFile(join(site.dir, 'index.html'), PAGE('<h1>two</h1>'))
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
  t.notOk(await hasMarker(page), 'a new document')
})

t.test('livereload-js on the app\'s port: a stylesheet edit is swapped live, without a reload', async t => {
  const site = await startSite(t, fixture(t, SITE()), { livereload: true })
  const page = await open(t, `${site.origin}/`)
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'same document')
  t.match(await page.getAttribute('link[rel=stylesheet]:last-of-type', 'href'), /site\.css\?livereload=/, 'livereload-js swapped the link')
})

t.test('livereload-js shows a build error as an alert, and stays connected', async t => {
  const site = await startSite(t, fixture(t, SITE()), { livereload: true })
  const page = await open(t, `${site.origin}/`)
  const dialog = page.waitForEvent('dialog')
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3 }] })
  const alert = await dialog
  t.equal(alert.type(), 'alert')
  t.equal(alert.message(), 'Build failed in src/a.md:3:\nUnexpected token')
  await alert.dismiss()
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 128, 0)'), 'still connected: the swap arrived')
})

// The port of the extra listener is known once it listens: the page reads it from its own URL.
const OPTIONS_FROM_URL = "<script>window.LiveReloadOptions = { host: '127.0.0.1', port: new URLSearchParams(location.search).get('lrport') }</script><script src=\"/livereload.js\"></script>"

t.test('livereload-js on the extra listener (another port than the page\'s) swaps and reloads', async t => {
  const dir = fixture(t, { 'index.html': PAGE('<h1>one</h1>', '').replace('<script src=""></script>', OPTIONS_FROM_URL), 'site.css': 'h1 { color: rgb(255, 0, 0) }' })
  const site = await startSite(t, dir, { livereload: { port: 0 } })
  const port = Number(/:(\d+)\/livereload$/.exec(site.lines.find(l => l.msg.startsWith('LiveReload protocol 7 on'))!.msg)![1])
  const page = await open(t, `${site.origin}/?lrport=${port}&`)
  t.equal(site.app.liveReload.clients, 1)
  t.ok(await survivesSwap(page, join(dir, 'site.css'), 'rgb(0, 0, 255)'), 'swapped live')
  const reloaded = page.waitForEvent('load')
  await writeFile(join(dir, 'index.html'), PAGE('<h1>two</h1>', '').replace('<script src=""></script>', OPTIONS_FROM_URL))
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
})
