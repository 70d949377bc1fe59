// "Open in editor" in real Chromium: a place in the error overlay, and one on a route's error
// page, is a link; a click starts the editor (a fake one that records its arguments) there. The
// overlay imports the module that does it ({path}/editor.js) relative to the client's own URL.
// Every wait is on an event or on DOM state, never on time.
import type { Page } from 'playwright-core'
import t from 'tap'
import { displayPath } from '../../lib/paths.js'
import { browserContext, openPage, serveSite } from '../helpers/browser.js'
import { fakeEditor } from '../helpers/fake-editor.js'
import { PAGE, editorSite as startSite } from '../helpers/editor-site.js'
import { fixture } from '../helpers/fixture.js'

const browser = await browserContext(t)

/** Resolves once the page's WebSocket to the channel has received `hello`. */
async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 20_000 })
}

t.test('the overlay\'s file:line:column is a link, and a click opens the editor there', async t => {
  const editor = fakeEditor(t)
  const site = await startSite(t)
  const page = await openPage(t, browser, `${site.origin}/`, nextHello)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: displayPath(site.source), line: 2, column: 4 }] })
  // An href once the page holds the token: the link is live.
  const link = page.locator('livereload-overlay h2 a[href]')
  await link.waitFor()
  t.equal(await link.textContent(), `${displayPath(site.source)}:2:4`)
  const opened = editor.nextOpen()
  await link.click()
  t.same(await opened, [site.source, '2', '4'])
  t.equal(await page.locator('livereload-overlay').count(), 1, 'the click keeps the overlay')
  t.equal(new URL(page.url()).pathname, '/', 'and the page where it was')
  // The next error's overlay replaces this one: its places are links too (the module, loaded once, watches).
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'again', file: displayPath(site.source), line: 3 }, { message: 'no place' }] })
  const next = page.locator('livereload-overlay h2 a[href]', { hasText: ':3' })
  await next.waitFor()
  t.equal(await page.locator('livereload-overlay h2').count(), 1, 'an error without a place has no heading')
  const again = editor.nextOpen()
  await next.click()
  t.same(await again, [site.source, '3', '1'])
})

t.test('a route error page\'s places are links: the place and each stack frame', async t => {
  const editor = fakeEditor(t)
  const site = await startSite(t)
  const page = await openPage(t, browser, `${site.origin}/boom`, nextHello)
  const links = page.locator('a[data-livereload-file][href]')
  await links.first().waitFor()
  t.same(await links.allTextContents(), [`${displayPath(site.source)}:3:5`, `${displayPath(site.source)}:3:5`], 'the place, and the stack\'s frame')
  const opened = editor.nextOpen()
  await links.last().click()
  t.same(await opened, [site.source, '3', '5'])
})

t.test('with openInEditor: false, the overlay\'s place is text', async t => {
  const base = fixture(t, { 'index.html': PAGE })
  const site = await serveSite(t, base, { openInEditor: false })
  const page = await openPage(t, browser, `${site.origin}/`, nextHello)
  const moduleAsked = page.waitForResponse(response => response.url().endsWith('/__livereload/editor.js'))
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'x', file: 'index.html', line: 1 }] })
  t.equal((await moduleAsked).status(), 404, 'the overlay asks for the editor module, and there is none')
  await page.locator('livereload-overlay h2').waitFor()
  t.equal(await page.locator('livereload-overlay h2 a[href]').count(), 0, 'so no live link')
  t.equal(await page.locator('livereload-overlay h2').textContent(), 'index.html:1')
})
