// The Server-Sent Events fallback in Firefox: a refused upgrade, and a Content-Security-Policy
// whose connect-src forbids ws:, where Firefox throws from `new WebSocket()` (Chromium fires
// `error`: test/browser/fallback.test.ts). Then the way back to a WebSocket once one can open.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'puppeteer-core'
import t, { type Test } from 'tap'
import { serveSite, survivesSwap } from '../helpers/browser.js'
import { eventually } from '../helpers/eventually.js'
import { consoleLine, countLoads, firefoxContext, firefoxTab, visit } from '../helpers/firefox.js'
import { fixture } from '../helpers/fixture.js'
import { forbidWebSockets, refuseUpgrades } from '../helpers/unfriendly.js'

const tab = await firefoxTab(t, await firefoxContext(t))

const PAGE = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><link rel="stylesheet" href="/site.css"></head><body>${body}</body></html>`
const SITE = { 'index.html': PAGE('<h1>one</h1>'), 'site.css': 'h1 { color: rgb(255, 0, 0) }' }

async function open (t: Test, url: string): Promise<Page> {
  return await visit(t, tab, url, page => consoleLine(page, 'connected (server-sent events)'))
}

/**
 * Edits the page: it reloads, connects over SSE again, and (proved by a later swap) reloads no
 * more. The sites here have `patch: false`: a patch would keep the page, and its connection.
 */
async function checkReloadsOnce (t: Test, page: Page, dir: string): Promise<void> {
  const loads = countLoads(page)
  const connectedAgain = consoleLine(page, 'connected (server-sent events)') // the new document's: the old one is connected
  await writeFile(join(dir, 'index.html'), PAGE('<h1>two</h1>'))
  await connectedAgain
  t.equal(await page.$eval('h1', h1 => h1.textContent), 'two')
  t.ok(await survivesSwap(page, join(dir, 'site.css'), 'rgb(0, 0, 255)'), 'a stylesheet swap over SSE, no reload')
  t.equal(loads(), 1)
}

t.test('with upgrades refused the page connects over SSE, and a page edit reloads it once', async t => {
  const gate = { isBlocked: true, refused: 0 }
  const site = await serveSite(t, fixture(t, SITE), { patch: false }, { setup: refuseUpgrades(gate) })
  const page = await open(t, `${site.origin}/`)
  t.ok(gate.refused >= 1, 'the WebSocket was tried first')
  await checkReloadsOnce(t, page, site.dir)
})

t.test('under a CSP whose connect-src allows the page\'s http origin but not ws:, the page connects over SSE and a page edit reloads it once', async t => {
  const upgrades = { seen: 0 }
  const site = await serveSite(t, fixture(t, SITE), { patch: false }, { setup: forbidWebSockets(upgrades) })
  const page = await open(t, `${site.origin}/`)
  t.equal(upgrades.seen, 0, 'the browser never asked for a WebSocket: the policy stopped it')
  await checkReloadsOnce(t, page, site.dir)
})

t.test('when upgrades work again the page moves back to a WebSocket and closes the stream', async t => {
  const gate = { isBlocked: true, refused: 0 }
  const site = await serveSite(t, fixture(t, SITE), {}, { setup: refuseUpgrades(gate) })
  const page = await open(t, `${site.origin}/`)
  const back = consoleLine(page, 'connected')
  gate.isBlocked = false
  await back
  // One client again once the stream is closed: no event announces the server's side of it.
  await eventually(() => site.app.liveReload.clients === 1, 20_000, 'the stream closed')
  t.ok(await survivesSwap(page, join(site.dir, 'site.css'), 'rgb(0, 128, 0)'), 'a swap over the WebSocket')
})
