// Files whose names hold reserved, non-ASCII or percent characters, in real Chromium: a change
// to each page reloads that page and no other, and a stylesheet is matched to its own <link>,
// however the browser spells the page's URL (location.pathname keeps `& + , ; = @ : $ [ ]`
// as they are, and keeps a percent-encoding the page was opened with).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page, WebSocket } from 'playwright-core'
import t, { type Test } from 'tap'
import { hasMarker, launchBrowser, openPage, serveSite, setMarker, type Site } from './helpers/browser.js'
import { fixture } from './helpers/fixture.js'

const browser = await launchBrowser(t)

const PAGE = (body: string) =>
  '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">' +
  `<link rel="stylesheet" href="site.css"></head><body>${body}</body></html>`

/** Each page's file, and the URL path a tab opens it at: as a link in a page would spell it. */
const TABS: Array<[file: string, url: string]> = [
  ['c++.html', '/c++.html'],
  ['[id].html', '/[id].html'],
  ['[id].html', '/%5Bid%5D.html'], // the same page, opened with the brackets encoded (Chromium keeps them so)
  ['12:30.html', '/12:30.html'],
  ['q&a.html', '/q&a.html'],
  ['a,b;c=d@e$f.html', '/a,b;c=d@e$f.html'],
  ['a b.html', '/a b.html'], // Chromium sends /a%20b.html
  ['é.html', '/é.html'], // and /%C3%A9.html
  ['100%.html', '/100%25.html']
]
const FILES = [...new Set(TABS.map(([file]) => file))]

const sockets = new WeakMap<Page, WebSocket>()

/** Resolves once the page's (next) client has received `hello`. */
async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload') })
  sockets.set(page, ws)
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"') })
}

async function frameOf (page: Page, type: string): Promise<void> {
  await sockets.get(page)!.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes(`"type":"${type}"`) })
}

async function openTabs (t: Test, site: Site): Promise<Page[]> {
  return await Promise.all(TABS.map(async ([file, url]) => {
    const page = await openPage(t, browser, `${site.origin}${url}`, nextHello)
    t.equal(await page.textContent('h1'), file, `${url} shows ${file}`)
    return page
  }))
}

t.test('a change to a page whose name holds reserved, non-ASCII or percent characters reloads that page and no other', async t => {
  const site = await serveSite(t, fixture(t, {
    ...Object.fromEntries(FILES.map(file => [file, PAGE(`<h1>${file}</h1>`)])),
    'site.css': 'h1 { color: rgb(0, 0, 0) }'
  }))
  const pages = await openTabs(t, site)
  for (const [round, file] of FILES.entries()) {
    const shown = pages.filter((_page, i) => TABS[i][0] === file)
    const others = pages.filter((_page, i) => TABS[i][0] !== file)
    await Promise.all(pages.map(setMarker))
    const reloaded = shown.map(async page => { await page.waitForEvent('load'); await nextHello(page) })
    const told = others.map(page => frameOf(page, 'reload'))
    await writeFile(join(site.dir, file), PAGE(`<h1>${file} changed</h1>`))
    await Promise.all([...reloaded, ...told])
    for (const page of shown) t.equal(await page.textContent('h1'), `${file} changed`, `${page.url()} reloaded`)
    // Messages are handled in order: once a later stylesheet swap shows, a page has handled
    // the reload too, and had it reloaded, its marker would be gone.
    const rgb = `rgb(0, 0, ${round + 1})`
    await writeFile(join(site.dir, 'site.css'), `h1 { color: ${rgb} }`)
    await Promise.all(pages.map(page => page.waitForFunction(rgb => getComputedStyle(document.querySelector('h1')!).color === rgb, rgb)))
    for (const page of others) t.ok(await hasMarker(page), `${page.url()} not reloaded for ${file}`)
  }
})

t.test('a stylesheet whose name holds such characters swaps its own <link> only', async t => {
  const sheets = ['c++.css', '[x].css', 'a b.css', 'é.css']
  const links = sheets.map(sheet => `<link rel="stylesheet" href="${sheet}">`).join('')
  const site = await serveSite(t, fixture(t, {
    'index.html': `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${links}</head><body><h1>sheets</h1></body></html>`,
    ...Object.fromEntries(sheets.map(sheet => [sheet, 'h1 { margin: 0 }']))
  }))
  const page = await openPage(t, browser, `${site.origin}/`, nextHello)
  for (const [i, sheet] of sheets.entries()) {
    // A property, not an attribute: a swap clones the <link>'s attributes, never its properties.
    await page.evaluate(() => { document.querySelectorAll('link[rel=stylesheet]').forEach(link => Object.assign(link, { isOriginal: true })) })
    const rgb = `rgb(${i + 1}, 0, 0)`
    await writeFile(join(site.dir, sheet), `h1 { color: ${rgb} }`)
    await page.waitForFunction(rgb => getComputedStyle(document.querySelector('h1')!).color === rgb, rgb)
    await page.waitForFunction(count => document.querySelectorAll('link[rel=stylesheet]').length === count, sheets.length)
    const kept = await page.$$eval('link[rel=stylesheet]', links => links.map(link => (link as { isOriginal?: boolean }).isOriginal === true))
    t.same(kept, sheets.map((_, j) => j !== i), `only the <link> of ${sheet} was swapped`)
  }
})
