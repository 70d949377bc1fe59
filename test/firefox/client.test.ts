// The browser client in Firefox (Debian's firefox-esr): what each message does to a page, where
// the browser decides it (a reload, a stylesheet or image swap, the overlay, the scroll position,
// a strict Content-Security-Policy). test/browser/client.test.ts covers the same in Chromium, and
// more; these waits are on console lines and page state, as Puppeteer sees no WebSocket frames.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { colourShown, hasMarker, recolour, serveSite, setMarker, survivesSwap, until, type Site } from '../helpers/browser.js'
import { consoleLine, countLoads, firefoxContext, firefoxTab, nextLoad, visit } from '../helpers/firefox.js'
import { fixture, type Files } from '../helpers/fixture.js'
import { restartablePort } from '../helpers/restart-port.js'

const tab = await firefoxTab(t, await firefoxContext(t))

// No favicon request: one in flight when a test closes its server would hold its close (72 s).
const PAGE = (body: string, head = '<link rel="stylesheet" href="/site.css">') =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`
const SITE = { 'index.html': PAGE('<h1>one</h1>'), 'site.css': 'h1 { color: rgb(255, 0, 0) }' }

async function startSite (t: Test, files: Files = SITE, options: LiveReloadOptions = {}): Promise<Site> {
  return await serveSite(t, fixture(t, files), options)
}

/** Opens `url` in the tab; resolves once its client is connected over a WebSocket. */
async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, page => consoleLine(page, 'connected'))
}

/** Resolves once the page's overlay shows `text`, or (`null`) once there is none. */
async function overlayShows (page: Page, text: string | null): Promise<void> {
  await until(page, text => {
    const overlay = document.querySelector('livereload-overlay')
    return text === null ? overlay === null : overlay?.shadowRoot?.querySelector('section')?.textContent?.includes(text) === true
  }, text)
}

// With `patch` on (the default) such an edit is patched in: test/firefox/patch.test.ts.
t.test('with patch: false, a page edit reloads the page once, with the new content', async t => {
  const site = await startSite(t, SITE, { patch: false })
  const page = await open(t, `${site.origin}/`)
  const loads = countLoads(page)
  // The new document logs `connected`; the old one, already connected, never again.
  const connectedAgain = consoleLine(page, 'connected')
  await writeFile(join(site.dir, 'index.html'), PAGE('<h1>two</h1>'))
  await connectedAgain
  t.equal(await page.$eval('h1', h1 => h1.textContent), 'two')
  // Messages are handled in order: a swap seen after it shows that no second reload was sent.
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'no reload after the swap')
  t.equal(loads(), 1)
})

t.test('a stylesheet edit swaps the styles without a reload, and the page is never unstyled meanwhile', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  await setMarker(page)
  // The colour at each change of <head>: the new <link> goes in, the old one goes out once the
  // new one has loaded. Removed before that, the h1 would be unstyled (black) for a moment.
  await page.evaluate(`window.colours = []
    new MutationObserver(() => window.colours.push(getComputedStyle(document.querySelector('h1')).color))
      .observe(document.head, { childList: true })`)
  await recolour(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)')
  await until(page, () => document.querySelectorAll('link[rel=stylesheet]').length === 1)
  const colours = await page.evaluate('window.colours') as string[]
  t.ok(colours.length >= 2, 'the new link went in and the old one out')
  t.same(colours.filter(colour => colour !== 'rgb(255, 0, 0)' && colour !== 'rgb(0, 0, 255)'), [], `styled throughout: ${colours.join(', ')}`)
  t.ok(await hasMarker(page), 'same document')
})

t.test('a watched stylesheet whose URL the server does not know (root: false, no builder) is swapped by its trailing names', async t => {
  const dir = fixture(t, { styles: { 'site.css': 'h1 { color: rgb(255, 0, 0) }' } })
  // The app serves its own page and stylesheet, under a prefix of its own choosing.
  const site = await serveSite(t, dir, { root: false, watch: [dir] }, {
    setup: app => {
      app.get('/', (_req, reply) => reply.type('text/html').send(PAGE('<h1>one</h1>', '<link rel="stylesheet" href="/assets/styles/site.css">')))
      app.get('/assets/styles/site.css', async (_req, reply) => reply.type('text/css').header('cache-control', 'no-store').send(await readFile(join(dir, 'styles/site.css'))))
    }
  })
  const page = await open(t, `${site.origin}/`)
  await colourShown(page, 'rgb(255, 0, 0)')
  t.ok(await survivesSwap(page, join(dir, 'styles/site.css'), 'rgb(0, 0, 255)'), 'the new colour, in the same document')
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
  await until(page, () => /livereload=/.test((document.getElementById('logo') as HTMLImageElement).src) &&
    /livereload=/.test(getComputedStyle(document.getElementById('hero')!).backgroundImage))
  t.ok(await hasMarker(page), 'same document')
  t.equal(await page.$eval('#other', img => img.getAttribute('src')), '/other.svg', 'other images are left alone')
})

t.test('a build error shows the overlay, and clear hides it', async t => {
  const site = await startSite(t)
  const page = await open(t, `${site.origin}/`)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3, column: 7, frame: '> 3 | # oops' }] })
  await overlayShows(page, 'Unexpected token')
  t.equal(await page.evaluate('document.querySelector("livereload-overlay").shadowRoot.querySelector("h2").textContent'), 'src/a.md:3:7')
  t.equal(await page.evaluate('getComputedStyle(document.querySelector("livereload-overlay").shadowRoot.querySelector("section")).backgroundColor'), 'rgb(30, 30, 30)')
  site.app.liveReload.send({ type: 'clear' })
  await overlayShows(page, null)
  t.pass('cleared')
})

t.test('a server restart on the same port reloads the page exactly once', async t => {
  const first = await serveSite(t, fixture(t, SITE), {}, { port: await restartablePort() }) // started again on it below
  const page = await open(t, `${first.origin}/`)
  const loads = countLoads(page)
  // Back on the server, the old document says nothing (same transport) and reloads; the new one connects.
  const connectedAgain = consoleLine(page, 'connected')
  await first.app.close()
  await serveSite(t, first.dir, {}, { port: first.port })
  await connectedAgain
  // Connected again to the same instance: no further reload may come. Prove it by a change.
  t.ok(await survivesSwap(page, join(first.dir, 'site.css'), 'rgb(0, 0, 255)'))
  t.equal(loads(), 1)
})

t.test('a reload keeps the scroll position', async t => {
  const tall = '<div style="height: 5000px">top</div><h1>bottom</h1>'
  const site = await startSite(t, { ...SITE, 'index.html': PAGE(tall) }, { patch: false })
  const page = await open(t, `${site.origin}/`)
  await page.evaluate('scrollTo(0, 1500)')
  const reloaded = nextLoad(page)
  await writeFile(join(site.dir, 'index.html'), PAGE(`${tall}<p>more</p>`))
  await reloaded
  await until(page, () => scrollY === 1500)
  t.equal(await page.$eval('p', p => p.textContent), 'more')
})

const CSP_ROUTE = (csp: string) => (app: FastifyInstance) => {
  app.get('/csp', (_request, reply) => {
    reply.header('content-security-policy', csp).type('text/html').send(PAGE('<h1>strict</h1>'))
  })
}

/** Under `csp`, a swap, the overlay and the building notice work, styled, and the page reports no violation. */
async function checkStrictPage (t: Test, csp: string): Promise<void> {
  const site = await serveSite(t, fixture(t, SITE), {}, { setup: CSP_ROUTE(csp) })
  // Firefox's own CSP warnings do not reach Puppeteer: the page's violation events, logged, do.
  const violations: string[] = []
  const preload = await tab.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', event => console.warn(`[csp] ${event.violatedDirective} ${event.blockedURI}`))
  })
  t.teardown(() => tab.removeScriptToEvaluateOnNewDocument(preload.identifier))
  const page = await visit(t, tab, `${site.origin}/csp`, async page => {
    page.on('console', message => { if (message.text().startsWith('[csp]')) violations.push(message.text()) })
    await consoleLine(page, 'connected')
  })
  await colourShown(page, 'rgb(255, 0, 0)')
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'a stylesheet swap')
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'under a strict policy' }] })
  await overlayShows(page, 'under a strict policy')
  t.equal(await page.evaluate('getComputedStyle(document.querySelector("livereload-overlay").shadowRoot.querySelector("section")).backgroundColor'), 'rgb(30, 30, 30)', 'overlay styled')
  site.app.liveReload.send({ type: 'building', changes: [] })
  await until(page, () => document.querySelector('livereload-building') !== null)
  t.equal(await page.evaluate('getComputedStyle(document.querySelector("livereload-building")).position'), 'fixed', 'building notice styled')
  t.same(violations, [])
}

t.test('the client works under a nonce-based CSP', async t => {
  await checkStrictPage(t, "default-src 'self'; img-src data:; script-src 'nonce-r4nd0m'; style-src 'self'")
})

t.test('the client works under script-src \'self\' with Trusted Types required', async t => {
  await checkStrictPage(t, "default-src 'self'; img-src data:; script-src 'self'; style-src 'self'; require-trusted-types-for 'script'; trusted-types 'none'")
})
