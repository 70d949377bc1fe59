// Patch instead of reload, in real Chromium: an edit of the page a tab shows is morphed into it
// when only its body, title or stylesheets changed; anything else reloads. Real watcher, real
// files, real server; every wait is on a console line, a load or DOM state, never on time.
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConsoleMessage, Page, WebSocket } from 'playwright-core'
import t, { type Test } from 'tap'
import { afterReload, browserContext, colourShown, countLoads, hasMarker, serveSite, setMarker, sharedTab, until, visit } from '../helpers/browser.js'
import { fixture } from '../helpers/fixture.js'
import { FILES, PAGE, patchSite as startSite } from '../helpers/patch-site.js'

const tab = await sharedTab(t, await browserContext(t))

const sockets = new WeakMap<Page, WebSocket>()

/** Opens `url` in the tab and resolves once its client is connected: from then on, changes arrive. */
async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, async page => {
    const connected = line(page, 'connected')
    sockets.set(page, await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 }))
    await connected
  })
}

/** Resolves when the page's socket receives a message of `type`. */
async function frameOf (page: Page, type: string): Promise<void> {
  await sockets.get(page)!.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes(`"type":"${type}"`), timeout: 20_000 })
}

/** The page's next console line of the client that starts with `[livereload] ${start}`. */
async function line (page: Page, start: string): Promise<string> {
  const message = await page.waitForEvent('console', { predicate: (message: ConsoleMessage) => message.text().startsWith(`[livereload] ${start}`), timeout: 20_000 })
  return message.text()
}

t.test('an edit of the page shown is patched: scroll, focus, selection, typed input and the scripts\' state survive, for one request', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  const loads = countLoads(page)
  await setMarker(page)
  await page.fill('#name', 'typed here')
  await page.evaluate(() => {
    (document.getElementById('name') as HTMLInputElement).setSelectionRange(2, 5)
    scrollTo(0, 1500)
  })
  await until(page, () => scrollY === 1500)
  const before = site.requests('/')
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ title: 'two', body: '<h1>two</h1>', end: '<h2>new</h2>' }))
  t.equal(await patched, '[livereload] patched: /index.html changed')

  t.equal(await page.textContent('h1'), 'two')
  t.equal(await page.textContent('h2'), 'new')
  t.equal(await page.title(), 'two', 'the title too')
  t.ok(await hasMarker(page), 'the same document: window state kept')
  t.equal(await page.evaluate(() => (window as unknown as { appRuns: number }).appRuns), 1, 'the script did not run again')
  t.same(await page.evaluate(() => {
    const field = document.getElementById('name') as HTMLInputElement
    return [field.value, document.activeElement === field, field.selectionStart, field.selectionEnd, scrollY]
  }), ['typed here', true, 2, 5, 1500], 'typed text, focus, selection and scroll kept')
  t.equal(site.requests('/') - before, 1, 'one request for the page')
  t.equal(loads(), 0, 'no load')
})

t.test('a text selection in the page survives a patch elsewhere', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await page.evaluate(() => {
    const text = document.querySelector('p')!.firstChild!
    getSelection()!.setBaseAndExtent(text, 5, text, 9)
  })
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: '<h1>changed</h1>' }))
  await patched
  t.equal(await page.evaluate(() => getSelection()!.toString()), 'text')
})

t.test('a ticked box and a chosen option survive a patch; an untouched field takes its new markup', async t => {
  const fields = (value: string) => `<input type="checkbox" id="box"><select id="pick"><option>a</option><option>b</option></select><input id="untouched" value="${value}">`
  const site = await serveSite(t, fixture(t, { ...FILES, 'index.html': PAGE({ body: `<h1>one</h1>${fields('old')}` }) }))
  const page = await open(t, `${site.origin}/`)
  await page.check('#box')
  await page.selectOption('#pick', 'b')
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: `<h1>two</h1>${fields('new')}` }))
  await patched
  t.same(await page.evaluate(() => [
    (document.getElementById('box') as HTMLInputElement).checked,
    (document.getElementById('pick') as HTMLSelectElement).value,
    (document.getElementById('untouched') as HTMLInputElement).value
  ]), [true, 'b', 'new'])
})

t.test('a new stylesheet in the head is patched in', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await colourShown(page, 'rgb(255, 0, 0)')
  await setMarker(page)
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ head: '<link rel="stylesheet" href="/other.css">' }))
  await patched
  await colourShown(page, 'rgb(0, 0, 255)')
  t.ok(await hasMarker(page), 'not reloaded')
})

for (const [change, edit, reason] of [
  ['a changed script', PAGE({ script: '<script src="/app.js?v=2"></script>' }), 'a script changed'],
  ['an added inline script', PAGE({ body: '<h1>one</h1><script>window.x = 1</script>' }), 'a script changed'],
  ['a removed script', PAGE({ script: '' }), 'a script changed'],
  ['an inline event handler', PAGE({ body: '<h1 onclick="void 0">one</h1>' }), 'a script changed'],
  ['a head change other than the title and stylesheets', PAGE({ head: '<meta name="description" content="new">' }), 'the <head> changed']
]) {
  t.test(`${change} reloads the page`, async t => {
    const site = await startSite(t)
    const page = await open(t, `${site.origin}/`)
    await setMarker(page)
    const reloading = line(page, 'reloading')
    const connected = afterReload<ConsoleMessage>(page, 'console', message => message.text() === '[livereload] connected')
    await writeFile(join(site.dir, 'index.html'), edit)
    t.equal(await reloading, `[livereload] reloading: /index.html changed (not patched: ${reason})`)
    await connected
    t.notOk(await hasMarker(page), 'reloaded')
  })
}

t.test('a page its scripts have changed since it loaded reloads instead', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await page.evaluate(() => document.body.append(document.createElement('aside')))
  const reloading = line(page, 'reloading')
  const connected = afterReload<ConsoleMessage>(page, 'console', message => message.text() === '[livereload] connected')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: '<h1>two</h1>' }))
  t.equal(await reloading, '[livereload] reloading: /index.html changed (not patched: a script changed the page since it loaded)')
  await connected
})

t.test('an edit of another page leaves this one alone: no request for it, no change', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  const before = site.requests('/')
  const reload = frameOf(page, 'reload')
  await writeFile(join(site.dir, 'about.html'), PAGE({ title: 'about', body: '<h1>about, edited</h1>' }))
  await reload
  // Messages are handled in order: once the stylesheet swap that follows is seen, the page has
  // handled the other page's reload too.
  await writeFile(join(site.dir, 'site.css'), 'h1 { color: rgb(0, 128, 0) }')
  await colourShown(page, 'rgb(0, 128, 0)')
  t.equal(site.requests('/about.html'), 0, 'the other page is not fetched')
  t.equal(site.requests('/') - before, 0, 'nor this one')
  t.equal(await page.textContent('h1'), 'one')
  t.ok(await hasMarker(page))
})

t.test('a burst of messages is one patch, of the final content: the first message\'s fetch, dropped, and one for what came during it', async t => {
  // A page of the app's own: only the messages sent here announce its changes (no watcher).
  let body = '<h1>first</h1>'
  const site = await startSite(t, {}, app => {
    app.get('/page.html', async (_request, reply) => await reply.type('text/html').send(PAGE({ body })))
  })
  const page = await open(t, `${site.origin}/page.html`)
  await setMarker(page)
  const lines: string[] = []
  page.on('console', message => { if (/^\[livereload\] (patched|reloading)/.test(message.text())) lines.push(message.text()) })
  const before = site.requests('/page.html')
  const patched = line(page, 'patched')
  for (const n of [2, 3, 4]) {
    body = `<h1>edit ${n}</h1>`
    site.app.liveReload.reload(['/page.html'])
  }
  await patched // after the last fetch of the burst: a fetch a later message overtook is dropped, not applied
  t.equal(await page.textContent('h1'), 'edit 4')
  t.ok(await hasMarker(page), 'patched, not reloaded')
  t.same(lines, ['[livereload] patched: /page.html changed'])
  // The first message patches at once (no wait for a burst's quiet); the two that came during its
  // fetch are one more patch after it, not one each.
  t.equal(site.requests('/page.html') - before, 2, 'two requests')
})

t.test('a patch hides the error overlay, as a reload would', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token' }] })
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: '<h1>fixed</h1>' }))
  await patched
  await overlay.waitFor({ state: 'detached' })
  t.equal(await page.textContent('h1'), 'fixed')
  t.ok(await hasMarker(page))
})

t.test('patch: false reloads as before, with the client without the patcher', async t => {
  const site = await startSite(t, { patch: false })
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  await page.fill('#name', 'typed')
  const reloading = line(page, 'reloading')
  const connected = afterReload<ConsoleMessage>(page, 'console', message => message.text() === '[livereload] connected')
  await writeFile(join(site.dir, 'index.html'), PAGE({ body: '<h1>two</h1>' }))
  t.equal(await reloading, '[livereload] reloading: /index.html changed')
  await connected
  t.notOk(await hasMarker(page), 'reloaded')
  t.equal(await page.textContent('h1'), 'two')
  t.notMatch((await site.app.inject('/__livereload/client.js')).body, 'patched', 'no patcher in the client')
})

t.test('under a strict CSP with Trusted Types and a nonce per response, the page is still patched', async t => {
  const policy = (nonce: string) => `default-src 'self'; img-src data:; script-src 'nonce-${nonce}' 'self'; style-src 'self' 'unsafe-inline'; ` +
    "require-trusted-types-for 'script'; trusted-types 'none'"
  const site = await startSite(t, {}, app => {
    app.addHook('onRequest', async (request, reply) => {
      if (/\/$|\.html$/.test(request.url)) reply.header('content-security-policy', policy(randomBytes(12).toString('base64url')))
    })
  })
  const violations: string[] = []
  const page = await visit(t, tab, `${site.origin}/`, async page => {
    page.on('console', message => { if (/Content.Security.Policy|Trusted Type|violat/i.test(message.text())) violations.push(message.text()) })
    page.on('pageerror', err => violations.push(err.message))
    await line(page, 'connected')
  })
  await setMarker(page)
  const patched = line(page, 'patched')
  await writeFile(join(site.dir, 'index.html'), PAGE({ title: 'strict', body: '<h1>strict</h1><ul><li>a</li></ul>', head: '<link rel="stylesheet" href="/other.css">' }))
  t.equal(await patched, '[livereload] patched: /index.html changed')
  t.equal(await page.textContent('h1'), 'strict')
  await colourShown(page, 'rgb(0, 0, 255)')
  t.ok(await hasMarker(page), 'not reloaded')
  t.same(violations, [])
})
