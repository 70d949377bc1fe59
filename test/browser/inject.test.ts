// Injected pages in real Chromium: the tag lands where the browser runs it, and what it must not
// touch stays as the page's author wrote it.
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { browserContext, serveSite, sharedTab, visit, type Site } from '../helpers/browser.js'
import { fixture, type Files } from '../helpers/fixture.js'

const tab = await sharedTab(t, await browserContext(t))

// No favicon request: one in flight when a test closes its server keeps its connection open.
const ICON = '<link rel="icon" href="data:,">'

async function startSite (t: Test, files: Files): Promise<Site> {
  return await serveSite(t, fixture(t, files))
}

/** Resolves when the page's client has received `hello` from the server. */
async function connected (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 20_000 })
}

t.test("an inline script holding '</script'+'>' runs intact, and the client connects", async t => {
  const site = await startSite(t, {
    'index.html': `<!doctype html><html><head>${ICON}<script>window.end = '</script' + '>'; window.head = "</head>";</script></head><body><p>x</p></body></html>`
  })
  const page = await visit(t, tab, `${site.origin}/`, connected)
  t.same(await page.evaluate(() => [(window as unknown as { end: string }).end, (window as unknown as { head: string }).head]), ['</script>', '</head>'])
  t.equal(await page.locator('head > script[src$="/__livereload/client.js"]').count(), 1)
})

t.test('a <template> in <head> holding </head> and <body> keeps the tag out, and the client connects', async t => {
  const site = await startSite(t, {
    'index.html': `<!doctype html><html><head>${ICON}<template id="t"><p>in</p></head><body class="inner"></template></head><body><p>x</p></body></html>`
  })
  const page = await visit(t, tab, `${site.origin}/`, connected)
  t.equal(await page.evaluate(() => (document.getElementById('t') as HTMLTemplateElement).content.querySelectorAll('script').length), 0, 'nothing in the template')
  t.equal(await page.locator('head > script[src$="/__livereload/client.js"]').count(), 1)
})

t.test('a UTF-16 page with a BOM reads as its author wrote it', async t => {
  const text = '<!doctype html><html><head><meta charset="utf-16"></head><body><p id="p">héllo 漢字</p></body></html>'
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  const be = Buffer.from(le)
  be.swap16()
  const site = await startSite(t, { 'le.html': le, 'be.html': be })
  for (const name of ['le.html', 'be.html']) {
    const page = await visit(t, tab, `${site.origin}/${name}`, async page => await page.waitForEvent('load'))
    t.equal(await page.evaluate(() => document.body.textContent), 'héllo 漢字', `${name}: the text, and nothing after it`)
    t.equal(await page.evaluate(() => document.body.innerHTML), '<p id="p">héllo 漢字</p>', `${name}: no mojibake after it`)
  }
})
