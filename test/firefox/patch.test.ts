// Patch instead of reload in Firefox (Debian's firefox-esr): an edit of the page a tab shows is
// morphed into it when only its body, title or stylesheets changed; anything else reloads.
// test/browser/patch.test.ts covers the same in Chromium, and more; these waits are on console
// lines, loads and page state, as Puppeteer sees no WebSocket frames.
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import { connectLiveReload } from '../../lib/testing.js'
import { colourShown, hasMarker, setMarker, until } from '../helpers/browser.js'
import { consoleLine, countLoads, firefoxContext, firefoxTab, visit } from '../helpers/firefox.js'
import { PAGE, patchSite as startSite } from '../helpers/patch-site.js'

const tab = await firefoxTab(t, await firefoxContext(t))

/** Opens `url` in the tab; resolves once its client is connected. */
async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, page => consoleLine(page, 'connected'))
}

t.test('an edit of the page shown is patched: scroll, focus, selection, typed input and the scripts\' state survive, for one request', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  const loads = countLoads(page)
  await setMarker(page)
  await page.type('#name', 'typed here')
  await page.evaluate('document.getElementById(\'name\').setSelectionRange(2, 5); scrollTo(0, 1500)')
  await until(page, () => scrollY === 1500)
  const before = site.requests('/')
  const patched = consoleLine(page, 'patched: /index.html changed')
  await writeFile(join(site.dir, 'index.html'), PAGE({ title: 'two', body: '<h1>two</h1>', end: '<h2>new</h2>' }))
  await patched

  t.same(await page.evaluate(`(() => {
    const field = document.getElementById('name')
    return [document.querySelector('h1').textContent, document.querySelector('h2').textContent, document.title,
      window.appRuns, field.value, document.activeElement === field, field.selectionStart, field.selectionEnd, scrollY]
  })()`), ['two', 'new', 'two', 1, 'typed here', true, 2, 5, 1500], 'new content; script not run again; typed text, focus, selection and scroll kept')
  t.ok(await hasMarker(page), 'the same document: window state kept')
  t.equal(site.requests('/') - before, 1, 'one request for the page')
  t.equal(loads(), 0, 'no load')
})

for (const [change, edit, reason] of [
  ['a script change', PAGE({ script: '<script src="/app.js?v=2"></script>' }), 'a script changed'],
  ['a head change other than the title and stylesheets', PAGE({ head: '<meta name="description" content="new">' }), 'the <head> changed']
]) {
  t.test(`${change} reloads the page`, async t => {
    const site = await startSite(t)
    const page = await open(t, `${site.origin}/`)
    await setMarker(page)
    const reloading = consoleLine(page, `reloading: /index.html changed (not patched: ${reason})`)
    await writeFile(join(site.dir, 'index.html'), edit)
    await reloading
    await consoleLine(page, 'connected') // the new document's client
    t.notOk(await hasMarker(page), 'reloaded')
  })
}

t.test('an edit of another page leaves this one alone: no request for it, no change', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  const watcher = await connectLiveReload(site.app)
  t.teardown(() => watcher.close())
  await setMarker(page)
  const before = site.requests('/')
  const reload = watcher.next('reload')
  await writeFile(join(site.dir, 'about.html'), PAGE({ title: 'about', body: '<h1>about, edited</h1>' }))
  await reload
  // Messages reach every client in order: once the swap that follows shows, the tab has handled the reload too.
  await writeFile(join(site.dir, 'site.css'), 'h1 { color: rgb(0, 128, 0) }')
  await colourShown(page, 'rgb(0, 128, 0)')
  t.equal(site.requests('/about.html'), 0, 'the other page is not fetched')
  t.equal(site.requests('/') - before, 0, 'nor this one')
  t.equal(await page.evaluate('document.querySelector("h1").textContent'), 'one')
  t.ok(await hasMarker(page))
})

t.test('patch: false reloads as before', async t => {
  const site = await startSite(t, { patch: false })
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  const reloading = consoleLine(page, 'reloading: /index.html changed')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: '<h1>two</h1>' }))
  await reloading
  await consoleLine(page, 'connected')
  t.notOk(await hasMarker(page), 'reloaded')
  t.equal(await page.evaluate('document.querySelector("h1").textContent'), 'two')
})

t.test('under a strict CSP with Trusted Types and a nonce per response, the page is still patched', async t => {
  const policy = (nonce: string) => `default-src 'self'; img-src data:; script-src 'nonce-${nonce}' 'self'; style-src 'self' 'unsafe-inline'; ` +
    "require-trusted-types-for 'script'; trusted-types 'none'"
  const site = await startSite(t, {}, app => {
    app.addHook('onRequest', async (request, reply) => {
      if (/\/$|\.html$/.test(request.url)) reply.header('content-security-policy', policy(randomBytes(12).toString('base64url')))
    })
  })
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  const patched = consoleLine(page, 'patched: /index.html changed')
  await writeFile(join(site.dir, 'index.html'), PAGE({ title: 'strict', body: '<h1>strict</h1>', head: '<link rel="stylesheet" href="/other.css">' }))
  await patched
  await colourShown(page, 'rgb(0, 0, 255)')
  t.equal(await page.evaluate('document.querySelector("h1").textContent'), 'strict')
  t.ok(await hasMarker(page), 'not reloaded')
})
