// A tab reloaded onto a 404 in real Chromium: the page it lands on carries the client, so the
// next reload brings it back (issue 18: a clean rebuild stranded every open tab on Fastify's
// JSON 404, which has no client). Every wait is on an event or on DOM state, never on time.
import { readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { browserContext, openPage, serveSite } from '../helpers/browser.js'
import { fixture } from '../helpers/fixture.js'

const browser = await browserContext(t)

// No favicon request: one in flight when a test closes its server would keep that keep-alive
// connection open, and Node's server.close() waits for it.
const PAGE = (body: string) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>${body}</body></html>`

/** Resolves once the page's next WebSocket to the channel has received `hello`. */
async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 20_000 })
}

async function openConnected (t: Test, url: string): Promise<Page> {
  return await openPage(t, browser, url, nextHello)
}

t.test('a tab reloaded onto a 404 recovers on the next reload', async t => {
  const dir = fixture(t, { 'index.html': PAGE('<h1>one</h1>') })
  const site = await serveSite(t, dir)
  const page = await openConnected(t, `${site.origin}/`)

  // The file goes, and a reload comes while it is gone (as after `rm -rf dist`): the watcher's
  // own reload, if any, and ours end on the same 404.
  const on404 = page.waitForResponse(response => response.request().isNavigationRequest() && response.status() === 404)
  const connectedOn404 = on404.then(async () => await nextHello(page))
  await unlink(join(dir, 'index.html'))
  site.app.liveReload.reload()
  const response = await on404
  t.match(response.headers()['content-type'], /^text\/html/, 'the tab gets a page, not JSON')
  await connectedOn404
  t.match(await page.textContent('body'), /404/, 'the page says what happened')

  // The rebuild puts the page back: the tab on the 404 hears the reload and shows it.
  const back = page.locator('h1', { hasText: 'two' })
  await writeFile(join(dir, 'index.html'), PAGE('<h1>two</h1>'))
  site.app.liveReload.reload()
  await back.waitFor({ timeout: 20_000 })
  t.equal(await page.textContent('h1'), 'two')
})

t.test('a route whose template breaks: the tab gets the error page with the client and the error; the fix reloads it', async t => {
  const dir = fixture(t, { site: { 'index.html': PAGE('<h1>home</h1>') }, views: { 'page.tpl': '<h1>one</h1>' } })
  const template = join(dir, 'views', 'page.tpl')
  // A route that renders a template read on each request, and throws where it cannot parse it,
  // as a template engine does: where, and the line.
  const setup = (app: FastifyInstance): void => {
    app.get('/page', async (_request, reply) => {
      const text = await readFile(template, 'utf8')
      const at = text.indexOf('{{')
      if (at >= 0 && !text.includes('}}')) throw Object.assign(new Error('unclosed tag "{{"'), { file: template, line: 1, column: at + 1, frame: `1 | ${text}` })
      return await reply.type('text/html').send(PAGE(text))
    })
  }
  const site = await serveSite(t, join(dir, 'site'), { watch: join(dir, 'views') }, { setup })
  const page = await openConnected(t, `${site.origin}/page`)
  t.equal(await page.textContent('h1'), 'one')

  const on500 = page.waitForResponse(response => response.request().isNavigationRequest() && response.status() === 500)
  const connectedOn500 = on500.then(async () => await nextHello(page))
  await writeFile(template, '<h1>{{ title </h1>')
  await on500
  await connectedOn500
  t.match(await page.textContent('body'), /unclosed tag "\{\{"/, 'the error, without F5')
  t.match(await page.textContent('body'), /views\/page\.tpl:1:5/, 'and where it is')

  const fixed = page.locator('h1', { hasText: 'two' })
  await writeFile(template, '<h1>two</h1>')
  await fixed.waitFor({ timeout: 20_000 })
  t.equal(await page.textContent('h1'), 'two', 'the fix reloads the tab')
})
