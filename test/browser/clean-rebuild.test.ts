// The clean rebuild in real Chromium (issue 18): `rm -rf` of the served root, then a rebuild 300
// or 800 ms later. The open tab must end on the new page with its client connected, never
// stranded on a 404. Every wait is on an event or on DOM state; the only delay is the build
// tool's own start-up, which is the scenario itself.
import { mkdirSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { Page } from 'playwright-core'
import t from 'tap'
import { browserContext, serveSite, sharedTab, visit } from '../helpers/browser.js'
import { fixture } from '../helpers/fixture.js'

const tab = await sharedTab(t, await browserContext(t))

// No favicon request: one in flight when a test closes its server would keep that keep-alive
// connection open, and Node's server.close() waits for it.
const PAGE = (body: string) => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/css/site.css"></head><body>${body}</body></html>`

/** Resolves once the page's next WebSocket to the channel has received `hello`. */
async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 60_000 })
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 60_000 })
}

for (const startMs of [300, 800]) {
  t.test(`rm -rf of the root, rebuilt ${startMs} ms later: the tab ends on the new page, connected`, async t => {
    const dist = join(fixture(t, { dist: { 'index.html': PAGE('<h1>one</h1>'), css: { 'site.css': 'h1 { color: red }' } } }), 'dist')
    const site = await serveSite(t, dist)
    const page = await visit(t, tab, `${site.origin}/`, nextHello)
    const statuses: number[] = []
    page.on('response', response => { if (response.request().isNavigationRequest()) statuses.push(response.status()) })
    const reloaded = page.waitForEvent('load', { timeout: 60_000 })
    const connected = nextHello(page) // the socket of the page the reload loads

    await rm(dist, { recursive: true })
    await delay(startMs) // the build tool's own start-up
    // Its output written at once, one file after the other, as a build tool writes it: awaited
    // one by one here, the second write waited on this process's event loop, which the plugin
    // and Playwright share, and a loaded run once reloaded the tab onto a 404 (between the two,
    // most likely: the root back with only the stylesheet in it).
    mkdirSync(join(dist, 'css'), { recursive: true })
    writeFileSync(join(dist, 'css/site.css'), 'h1 { color: blue }')
    writeFileSync(join(dist, 'index.html'), PAGE('<h1>two</h1>'))

    // The first load after the rm -rf must be the new page's: one onto a 404 fails the statuses.
    await reloaded
    await connected
    t.same(statuses, [200], 'one reload, onto the new page: never a 404')
    t.equal(await page.textContent('h1'), 'two', 'the new page')
  })
}
