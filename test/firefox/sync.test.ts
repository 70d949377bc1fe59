// Synchronized browsing between browsers: a Firefox tab and a Chromium tab on one page, each
// repeating what the user does in the other (real input through each driver: trusted events).
// test/browser/sync.test.ts covers the rules among Chromium tabs; this, that two engines agree.
import type { Page as ChromiumPage } from 'playwright-core'
import type { Page as FirefoxPage } from 'puppeteer-core'
import t, { type Test } from 'tap'
import { browserContext, openPage, serveSite, until, type Site } from '../helpers/browser.js'
import { consoleLine, firefoxContext, firefoxTab, visit } from '../helpers/firefox.js'
import { fixture } from '../helpers/fixture.js'

const [firefox, chromium] = await Promise.all([firefoxContext(t).then(context => firefoxTab(t, context)), browserContext(t)])

const PAGE = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width"></head><body>${body}</body></html>`
/** A click counter always in view, a field, and a tall page. */
const SITE = {
  'index.html': PAGE(`<nav style="position: fixed; top: 0; right: 0"><button id="count">0</button> <input id="name"></nav>
  <div style="height: 5000px"></div>
  <script>document.querySelector('#count').addEventListener('click', event => { event.target.textContent = Number(event.target.textContent) + 1 })</script>`)
}

async function startSite (t: Test): Promise<Site> {
  return await serveSite(t, fixture(t, SITE), { sync: true })
}

/**
 * The Chromium tab at `url`, once it has joined its page. Joined first, it is known to the server
 * before the Firefox tab comes, so nothing Firefox sends can come before it.
 */
async function openChromium (t: Test, url: string): Promise<ChromiumPage> {
  return await openPage(t, chromium, url, async page => {
    const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
    await ws.waitForEvent('framesent', { predicate: frame => String(frame.payload).includes('"type":"join"'), timeout: 20_000 })
  })
}

/** The Firefox tab at `url`, once it has joined: the client joins in the task that logs `connected`. */
async function openFirefox (t: Test, url: string): Promise<FirefoxPage> {
  return await visit(t, firefox, url, page => consoleLine(page, 'connected'))
}

const shows = async (page: ChromiumPage | FirefoxPage, n: number): Promise<void> => {
  await until(page, n => document.querySelector('#count')?.textContent === String(n), n)
}

t.test('clicks mirror both ways between Firefox and Chromium, each applied once', async t => {
  const site = await startSite(t)
  const inChromium = await openChromium(t, `${site.origin}/`)
  const inFirefox = await openFirefox(t, `${site.origin}/`)

  await inFirefox.click('#count')
  await shows(inChromium, 1)
  await inChromium.click('#count')
  await shows(inFirefox, 2)
  // The sentinel: a later event from Firefox. An echo of Chromium's click would have come before it.
  await inFirefox.type('#name', 'ok')
  await until(inChromium, () => (document.querySelector('#name') as HTMLInputElement).value === 'ok')
  t.equal(await inChromium.textContent('#count'), '2')
  t.equal(await inFirefox.$eval('#count', button => button.textContent), '2')
})

t.test('scrolling in Firefox moves the Chromium tab to the same fraction of its page', async t => {
  const site = await startSite(t)
  const inChromium = await openChromium(t, `${site.origin}/`)
  await inChromium.setViewportSize({ width: 390, height: 700 }) // a phone: another pixel offset for one fraction
  const inFirefox = await openFirefox(t, `${site.origin}/`)
  await inFirefox.evaluate('scrollTo(0, 2100)') // one scroll event: the browser's, trusted
  const wanted = await inFirefox.evaluate('scrollY / (document.documentElement.scrollHeight - innerHeight)') as number
  // A scroll's event comes with a frame, which only the tab at the front gets.
  await inChromium.bringToFront()
  await until(inChromium, wanted => Math.abs(scrollY / (document.documentElement.scrollHeight - innerHeight) - wanted) < 0.01, wanted)
  t.ok(wanted > 0.3 && wanted < 0.7, `Firefox scrolled about halfway (${wanted.toFixed(3)})`)
})
