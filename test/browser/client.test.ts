// The browser client in real Chromium: what each message does to a page. Real watcher, real
// files, real server; every wait is on an event or on DOM state, never on time.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Page, WebSocket } from 'playwright-core'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { afterReload, countLoads, hasMarker, browserContext, recolour, serveSite, setMarker, sharedTab, survivesSwap, until, visit, type Site } from '../helpers/browser.js'
import { fixture, type Files } from '../helpers/fixture.js'
import { restartablePort } from '../helpers/restart-port.js'

const tab = await sharedTab(t, await browserContext(t))

// No favicon request: one in flight when a test closes its server would keep that keep-alive
// connection open, and Node's server.close() waits for it (Fastify's keepAliveTimeout, 72 s).
const PAGE = (body: string, head = '<link rel="stylesheet" href="/site.css">') =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`

async function startSite (t: Test, files: Files, opts: LiveReloadOptions = {}): Promise<Site> {
  return await serveSite(t, fixture(t, files), opts)
}

/** Opens `url` in the tab and resolves once its client has received `hello`: from then on, changes arrive. */
async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, nextHello)
}

const sockets = new WeakMap<Page, WebSocket>()

async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
  sockets.set(page, ws)
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 20_000 })
}

/**
 * The reloaded document's socket, greeted: listened to from its creation on (`afterReload` says
 * why not a wait begun on `load`; the hello can come in the same read as the socket).
 */
async function helloAfterReloadOf (page: Page): Promise<void> {
  let greeted: Promise<void> | undefined
  const ws = await afterReload<WebSocket>(page, 'websocket', ws => {
    if (!ws.url().endsWith('/__livereload')) return false
    greeted = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no hello within 20 s of the socket')), 20_000)
      const onFrame = (frame: { payload: string | Buffer }): void => {
        if (!String(frame.payload).includes('"hello"')) return
        clearTimeout(timer)
        ws.off('framereceived', onFrame)
        resolve()
      }
      ws.on('framereceived', onFrame)
    })
    return true
  })
  sockets.set(page, ws)
  await greeted
}

/** Resolves when the page's current socket receives a message of `type`. */
async function frameOf (page: Page, type: string): Promise<void> {
  await sockets.get(page)!.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes(`"type":"${type}"`) })
}

const SITE = {
  'index.html': PAGE('<h1>one</h1>'),
  'site.css': 'h1 { color: rgb(255, 0, 0) }'
}

// With `patch` on (the default) such an edit is patched in: test/browser/patch.test.ts.
t.test('with patch: false, a page edit reloads the page with the new content', async t => {
  const site = await startSite(t, SITE, { patch: false })
  const page = await open(t, `${site.origin}/`)
  const reloaded = page.waitForEvent('load')
  await writeFile(join(site.dir, 'index.html'), PAGE('<h1>two</h1>'))
  await reloaded
  t.equal(await page.textContent('h1'), 'two')
})

t.test('a stylesheet edit swaps the styles without a navigation', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'same document')
  await until(page, () => document.querySelectorAll('link[rel=stylesheet]').length === 1)
  t.match(await page.getAttribute('link[rel=stylesheet]', 'href'), /\/site\.css\?livereload=\d+$/)
})

t.test('an @imported stylesheet edit swaps the sheet that imports it', async t => {
  const site = await startSite(t, {
    'index.html': PAGE('<h1>x</h1><p>y</p>', '<link rel="stylesheet" href="/main.css"><link rel="stylesheet" href="/other.css">'),
    'main.css': '@import url("/parts/title.css");',
    parts: { 'title.css': 'h1 { color: rgb(255, 0, 0) }' },
    'other.css': 'p { color: rgb(1, 2, 3) }'
  })
  const page = await open(t, `${site.origin}/`)
  t.ok(await survivesSwap(page, join(site.dir, 'parts/title.css'), 'rgb(0, 128, 0)'), 'same document')
  t.equal(await page.getAttribute('link[href^="/other.css"]', 'href'), '/other.css', 'the unrelated sheet is left alone')
})

t.test('an image edit refreshes <img> sources and CSS backgrounds in place', async t => {
  const svg = (fill: string) => `<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="${fill}"/></svg>`
  const site = await startSite(t, {
    'index.html': PAGE('<img id="logo" src="/logo.svg"><div id="hero"></div><img id="other" src="/other.svg">'),
    'site.css': '#hero { width: 4px; height: 4px; background-image: url("logo.svg") }',
    'logo.svg': svg('red'),
    'other.svg': svg('blue')
  })
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  await writeFile(join(site.dir, 'logo.svg'), svg('green'))
  // One task sets both, and the <img>'s is a DOM change: the predicate is looked at after it.
  await until(page, () => /livereload=/.test((document.getElementById('logo') as HTMLImageElement).src) &&
    /livereload=/.test(getComputedStyle(document.getElementById('hero')!).backgroundImage))
  t.ok(await hasMarker(page), 'same document')
  t.equal(await page.getAttribute('#other', 'src'), '/other.svg', 'other images are left alone')
})

t.test('a build error shows the overlay, and clear hides it', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  site.app.liveReload.send({
    type: 'error',
    errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3, column: 7, frame: '> 3 | # oops' }]
  })
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  t.match(await overlay.locator('section').textContent(), /Unexpected token/)
  t.match(await overlay.locator('h2').textContent(), 'src/a.md:3:7')
  t.equal(await overlay.locator('pre.frame').textContent(), '> 3 | # oops')
  t.equal(await overlay.evaluate(el => getComputedStyle(el.shadowRoot!.querySelector('section')!).backgroundColor), 'rgb(30, 30, 30)')

  site.app.liveReload.send({ type: 'clear' })
  await overlay.waitFor({ state: 'detached' })
  t.pass('cleared')
})

t.test('a build shows the building notice until its message, clicks going through it; a build that changes nothing clears it', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  const badge = page.locator('livereload-building')
  site.app.liveReload.send({ type: 'building', changes: ['src/a.md'] })
  await badge.waitFor()
  t.equal(await badge.evaluate(el => el.shadowRoot!.textContent), 'building…')
  t.equal(await badge.evaluate(el => getComputedStyle(el).pointerEvents), 'none', 'clicks go through to the page')
  site.app.liveReload.send({ type: 'clear' })
  await badge.waitFor({ state: 'detached' })
  site.app.liveReload.send({ type: 'building', changes: [] })
  await badge.waitFor()
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'x' }] })
  await badge.waitFor({ state: 'detached' })
  t.pass('the build\'s error ends it too')
})

t.test('Esc and a click outside the message dismiss the overlay', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  const overlay = page.locator('livereload-overlay')
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'first' }] })
  await overlay.waitFor()
  await page.keyboard.press('Escape')
  await overlay.waitFor({ state: 'detached' })

  site.app.liveReload.send({ type: 'error', errors: [{ message: 'second' }] })
  await overlay.waitFor()
  await overlay.locator('section').click()
  t.equal(await overlay.count(), 1, 'a click on the message itself keeps it')
  await page.mouse.click(2, 2)
  await overlay.waitFor({ state: 'detached' })
})

t.test('hostile error text is shown as text and never runs', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  const hostile = '<img src=x onerror="window.pwned=1">'
  site.app.liveReload.send({ type: 'error', errors: [{ message: hostile, file: hostile, frame: `<script>window.pwned=2</script>${hostile}` }] })
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  t.match(await overlay.locator('section').textContent(), hostile)
  t.equal(await overlay.evaluate(el => el.shadowRoot!.querySelectorAll('img, script').length), 0)
  // Had an <img onerror> been created, its error event would have fired by the time a round
  // trip to the page has: one more evaluate is that round trip.
  t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)
})

t.test('the standing error is shown to a page that connects later', async t => {
  const site = await startSite(t, SITE)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'broken before you came' }] })
  const page = await open(t, `${site.origin}/`)
  await page.locator('livereload-overlay').waitFor()
  t.match(await page.locator('livereload-overlay section').textContent(), 'broken before you came')
})

t.test('a reload keeps the scroll position', async t => {
  const tall = '<div style="height: 5000px">top</div><h1>bottom</h1>'
  const site = await startSite(t, { ...SITE, 'index.html': PAGE(tall) }, { patch: false })
  const page = await open(t, `${site.origin}/`)
  await page.evaluate(() => scrollTo(0, 1500))
  const reloaded = page.waitForEvent('load')
  await writeFile(join(site.dir, 'index.html'), PAGE(`${tall}<p>more</p>`))
  await reloaded
  await until(page, () => scrollY === 1500)
  t.equal(await page.textContent('p'), 'more')
})

t.test('a change to another page leaves this one as it is', async t => {
  const site = await startSite(t, { ...SITE, 'about.html': PAGE('<h1>about</h1>') })
  const page = await open(t, `${site.origin}/about.html`)
  await setMarker(page)
  const reload = frameOf(page, 'reload')
  await writeFile(join(site.dir, 'index.html'), PAGE('<h1>changed elsewhere</h1>'))
  await reload
  // Messages are handled in order: once the stylesheet swap that follows is seen, the page has
  // handled the reload message too, and a reload would have wiped the marker.
  await recolour(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)')
  t.ok(await hasMarker(page), 'not reloaded')
  t.equal(site.app.liveReload.stats().messages, 2, 'the reload was sent, then the swap')
})

t.test('a reload of another page hides this one\'s overlay, and leaves the page as it is', async t => {
  const site = await startSite(t, SITE)
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token' }] })
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  site.app.liveReload.send({ type: 'reload', paths: ['/other.html'] })
  await overlay.waitFor({ state: 'detached' })
  t.ok(await hasMarker(page), 'not reloaded')
})

t.test('the console names what reloaded the page: its own path before a file any page may use', async t => {
  const site = await startSite(t, { ...SITE, 'about.html': PAGE('<h1>about</h1>') })
  for (const [url, expected] of [['/about.html', '/about.html changed'], ['/', '/site.css changed']]) {
    const page = await open(t, `${site.origin}${url}`)
    const line = page.waitForEvent('console', { predicate: message => message.text().startsWith('[livereload] reloading') })
    const reloaded = nextHello(page) // the reloaded page's client: the next round's message is not for it
    site.app.liveReload.reload(['/site.css', '/about.html'])
    t.equal((await line).text(), `[livereload] reloading: ${expected}`, url)
    await reloaded
  }
})

t.test('a server restart on the same port reloads the page once', async t => {
  const first = await serveSite(t, fixture(t, SITE), {}, { port: await restartablePort() }) // started again on it below
  const page = await open(t, `${first.origin}/`)
  const loads = countLoads(page)
  const reloaded = page.waitForEvent('load')
  const helloAfterReload = helloAfterReloadOf(page)
  await first.app.close()
  await serveSite(t, first.dir, {}, { port: first.port })
  await reloaded
  await helloAfterReload
  // Connected again to the same instance: no further reload may come. Prove it by a change.
  t.ok(await survivesSwap(page, join(first.dir, 'site.css'), 'rgb(0, 0, 255)'))
  t.equal(loads(), 1)
})

t.test('while the server is down the client backs off, then reloads once when it is back', async t => {
  const first = await serveSite(t, fixture(t, SITE), {}, { port: await restartablePort() }) // started again on it below
  const page = await open(t, `${first.origin}/`)
  const loads = countLoads(page)
  const attempts: number[] = []
  page.on('websocket', () => attempts.push(Date.now()))
  await first.app.close()
  // Five failed attempts: their spacing shows the backoff.
  while (attempts.length < 5) await page.waitForEvent('websocket')
  const gaps = attempts.slice(1).map((at, i) => at - attempts[i])
  t.ok(gaps[3] > gaps[0], `gaps grow: ${gaps.join(', ')} ms`)
  t.equal(loads(), 0, 'no reload while the server is down')

  const reloaded = page.waitForEvent('load')
  await serveSite(t, first.dir, {}, { port: first.port })
  await reloaded
  await nextHello(page)
  t.equal(loads(), 1)
})

const CSP_ROUTE = (csp: string) => (app: FastifyInstance) => {
  app.get('/csp', (_request, reply) => {
    reply.header('content-security-policy', csp).type('text/html')
      .send(PAGE('<h1>strict</h1>', '<link rel="stylesheet" href="/site.css">'))
  })
}

async function checkStrictPage (t: Test, csp: string): Promise<void> {
  const site = await serveSite(t, fixture(t, SITE), {}, { setup: CSP_ROUTE(csp) })
  const violations: string[] = []
  const page = await visit(t, tab, `${site.origin}/csp`, async page => {
    page.on('console', message => { if (/Content.Security.Policy|Trusted Type/i.test(message.text())) violations.push(message.text()) })
    await nextHello(page)
  })
  await setMarker(page)
  await recolour(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)')
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'under a strict policy' }] })
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  t.equal(await overlay.evaluate(el => getComputedStyle(el.shadowRoot!.querySelector('section')!).backgroundColor), 'rgb(30, 30, 30)', 'overlay styled')
  site.app.liveReload.send({ type: 'building', changes: [] })
  const badge = page.locator('livereload-building')
  await badge.waitFor()
  t.equal(await badge.evaluate(el => getComputedStyle(el).position), 'fixed', 'building notice styled')
  t.ok(await hasMarker(page))
  t.same(violations, [])
}

t.test('the client works under a nonce-based CSP', async t => {
  await checkStrictPage(t, "default-src 'self'; img-src data:; script-src 'nonce-r4nd0m'; style-src 'self'")
})

t.test('the client works under script-src \'self\' with Trusted Types required', async t => {
  await checkStrictPage(t, "default-src 'self'; img-src data:; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'")
})
