// The browser client's Server-Sent Events fallback, in real Chromium: the WebSocket upgrade is
// refused (as by a proxy that does not pass Upgrade), or a page's Content-Security-Policy forbids
// ws:, the page falls back to {path}/events, reloads and swaps over it, and moves back to a
// WebSocket once upgrades work again.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConsoleMessage, Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { afterReload, countLoads, hasMarker, browserContext, recolour, serveSite, setMarker, sharedTab, survivesSwap, visit, type Site } from '../helpers/browser.js'
import { eventually } from '../helpers/eventually.js'
import { fixture } from '../helpers/fixture.js'
import { forbidWebSockets, holdUpgrades, refuseUpgrades } from '../helpers/unfriendly.js'

const tab = await sharedTab(t, await browserContext(t))

const PAGE = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css"></head><body>${body}</body></html>`
const SITE = { 'index.html': PAGE('<h1>one</h1>'), 'site.css': 'h1 { color: rgb(255, 0, 0) }' }

/**
 * A site whose WebSocket upgrades are refused with 502 while `gate.isBlocked`. The sites here have
 * `patch: false`: a page edit reloads, and the reloaded page shows it connects over SSE again.
 */
async function startSite (t: Test, dir: string, port = 0): Promise<Site & { gate: { isBlocked: boolean, refused: number } }> {
  const gate = { isBlocked: true, refused: 0 }
  const site = await serveSite(t, dir, { patch: false }, { port, setup: refuseUpgrades(gate) })
  return { ...site, gate }
}

function consoleLine (page: Page, text: string): Promise<ConsoleMessage> {
  return page.waitForEvent('console', { predicate: message => message.text() === `[livereload] ${text}`, timeout: 20_000 })
}

/** Writes index.html with a new heading; resolves with the heading the page shows once it has reloaded and is back on SSE. */
async function editReloadsOverSse (page: Page, dir: string): Promise<string | null> {
  const reloaded = page.waitForEvent('load')
  const again = connectedAfterReload(page)
  await writeFile(join(dir, 'index.html'), PAGE('<h1>two</h1>'))
  await reloaded
  const heading = await page.textContent('h1')
  await again
  return heading
}

/** The reloaded document's line that it connected over SSE (the old document logs one too when it reconnects). */
async function connectedAfterReload (page: Page): Promise<ConsoleMessage> {
  return await afterReload<ConsoleMessage>(page, 'console', message => message.text() === '[livereload] connected (server-sent events)')
}

async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, page => consoleLine(page, 'connected (server-sent events)'))
}

t.test('with upgrades refused the page connects over SSE, and a page edit reloads it', async t => {
  const site = await startSite(t, fixture(t, SITE))
  const page = await open(t, `${site.origin}/`)
  t.ok(site.gate.refused >= 1, 'the WebSocket was tried first')
  t.equal(site.app.liveReload.clients, 1)

  t.equal(await editReloadsOverSse(page, site.dir), 'two')

  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'a stylesheet swap over SSE, no reload')
})

t.test('on SSE the page shows the build error overlay', async t => {
  const site = await startSite(t, fixture(t, SITE))
  const page = await open(t, `${site.origin}/`)
  site.app.liveReload.send({ type: 'error', errors: [{ message: 'broken over SSE' }] })
  await page.locator('livereload-overlay').waitFor()
  t.match(await page.locator('livereload-overlay section').textContent(), 'broken over SSE')
  site.app.liveReload.send({ type: 'clear' })
  await page.locator('livereload-overlay').waitFor({ state: 'detached' })
})

t.test('when upgrades work again the page moves back to a WebSocket and closes the stream', async t => {
  const site = await startSite(t, fixture(t, SITE))
  const page = await open(t, `${site.origin}/`)
  const socket = page.waitForEvent('websocket', {
    predicate: ws => ws.url().endsWith('/__livereload'),
    timeout: 20_000
  }).then(async ws => {
    await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"'), timeout: 20_000 })
    return ws
  })
  const back = consoleLine(page, 'connected')
  site.gate.isBlocked = false
  const ws = await socket
  await back
  // The stream is closed once the WebSocket said hello: one client again. (No event announces
  // the server's side of a closed stream; the page asking /status on every frame cost more.)
  await eventually(() => site.app.liveReload.clients === 1, 20_000, 'the stream closed')

  await setMarker(page)
  const frame = ws.waitForEvent('framereceived', { predicate: f => String(f.payload).includes('"type":"css"') })
  await recolour(page, join(site.dir, 'site.css'), 'rgb(0, 128, 0)')
  await frame
  t.ok(await hasMarker(page), 'swapped over the WebSocket')
})

t.test('a server restart seen over SSE reloads the page once', async t => {
  const first = await startSite(t, fixture(t, SITE))
  const page = await open(t, `${first.origin}/`)
  const loads = countLoads(page)
  const reloaded = page.waitForEvent('load', { timeout: 20_000 })
  const connectedAfter = connectedAfterReload(page)
  await first.app.close()
  const second = await startSite(t, first.dir, first.port)
  await reloaded
  await connectedAfter
  // Connected to the same instance again: no further reload. Prove it by a change.
  t.ok(await survivesSwap(page, join(first.dir, 'site.css'), 'rgb(0, 0, 255)'))
  t.equal(loads(), 1)
  t.equal(second.app.liveReload.clients, 1)
})

t.test('under a CSP whose connect-src allows the page\'s http origin but not ws:, the page connects over SSE and a page edit reloads it once', async t => {
  const upgrades = { seen: 0 }
  const site = await serveSite(t, fixture(t, SITE), { patch: false }, { setup: forbidWebSockets(upgrades) })
  const page = await open(t, `${site.origin}/`)
  t.equal(upgrades.seen, 0, 'the browser never asked for a WebSocket: the policy stopped it')
  const loads = countLoads(page)
  t.equal(await editReloadsOverSse(page, site.dir), 'two')
  // Connected again to the same server: no further reload may come. Prove it by a change.
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 0, 255)'), 'a stylesheet swap, no reload')
  t.equal(loads(), 1)
})

t.test('a WebSocket whose upgrade is never answered is given up, and the page connects over SSE', async t => {
  const upgrades = { held: 0 }
  const site = await serveSite(t, fixture(t, SITE), { patch: false }, { setup: holdUpgrades(upgrades) })
  await open(t, `${site.origin}/`)
  t.ok(upgrades.held >= 1, 'the WebSocket was tried first, and held')
  t.equal(site.app.liveReload.clients, 1)
})
