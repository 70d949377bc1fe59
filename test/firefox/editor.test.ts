// "Open in editor" in Firefox (Debian's firefox-esr): the overlay's place, and a route error
// page's, is a link; a click starts the editor (a fake one that records its arguments) there.
// test/browser/editor.test.ts covers the same in Chromium. Waits are on console lines, selectors
// Puppeteer waits for, and the editor's record, never on time.
import type { Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import { displayPath } from '../../lib/paths.js'
import { fakeEditor } from '../helpers/fake-editor.js'
import { consoleLine, firefoxContext, firefoxTab, visit } from '../helpers/firefox.js'
import { editorSite as startSite } from '../helpers/editor-site.js'

const tab = await firefoxTab(t, await firefoxContext(t))

async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, page => consoleLine(page, 'connected'))
}

t.test('the overlay\'s file:line:column is a link, and a click opens the editor there', async t => {
  const editor = fakeEditor(t)
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: displayPath(site.source), line: 2, column: 4 }] })
  const link = await page.waitForSelector('livereload-overlay >>> h2 a[href]', { timeout: 20_000 })
  t.equal(await link!.evaluate(a => a.textContent), `${displayPath(site.source)}:2:4`)
  const opened = editor.nextOpen()
  await link!.click()
  t.same(await opened, [site.source, '2', '4'])
})

t.test('a route error page\'s place is a link, and a click opens the editor there', async t => {
  const editor = fakeEditor(t)
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/boom`)
  const link = await page.waitForSelector('a[data-livereload-file][href]', { timeout: 20_000 })
  t.equal(await link!.evaluate(a => a.textContent), `${displayPath(site.source)}:3:5`)
  const opened = editor.nextOpen()
  await link!.click()
  t.same(await opened, [site.source, '3', '5'])
})
