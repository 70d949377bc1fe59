// Files whose names hold reserved, non-ASCII or percent characters, in real Chromium: a change
// to each page reloads that page and no other, and a stylesheet is matched to its own <link>,
// however the browser spells the page's URL (location.pathname keeps `& + , ; = @ : $ [ ]`
// as they are, and keeps a percent-encoding the page was opened with).
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { colourShown, countLoads, browserContext, openPage, serveSite, until, type Site } from '../helpers/browser.js'
import { fixture } from '../helpers/fixture.js'

const browser = await browserContext(t)

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

/** Resolves once the page's (next) client has received `hello`. */
async function nextHello (page: Page): Promise<void> {
  const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload') })
  await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"') })
}

async function openTabs (t: Test, site: Site): Promise<Page[]> {
  return await Promise.all(TABS.map(async ([file, url]) => {
    const page = await openPage(t, browser, `${site.origin}${url}`, nextHello)
    t.equal(await page.textContent('h1'), file, `${url} shows ${file}`)
    return page
  }))
}

for (const patch of [false, true]) {
  t.test(`a change to a page whose name holds reserved, non-ASCII or percent characters ${patch ? 'is patched into' : 'reloads'} that page and no other`, async t => {
    const site = await serveSite(t, fixture(t, {
      ...Object.fromEntries(FILES.map(file => [file, PAGE(`<h1>${file}</h1>`)])),
      'site.css': 'h1 { color: rgb(0, 0, 0) }'
    }), { patch })
    const pages = await openTabs(t, site)
    const loads = pages.map(countLoads)
    for (const file of FILES) {
      const shown = pages.filter((_page, i) => TABS[i][0] === file)
      const heading = `${file} changed`
      const updated = shown.map(async page => {
        if (patch) return await until(page, heading => document.querySelector('h1')?.textContent === heading, heading)
        await page.waitForEvent('load')
        await nextHello(page)
      })
      await writeFile(join(site.dir, file), PAGE(`<h1>${heading}</h1>`))
      await Promise.all(updated)
      for (const page of shown) t.equal(await page.textContent('h1'), heading, `${page.url()} ${patch ? 'patched' : 'reloaded'}`)
    }
    // Every tab was connected for every round (a reloaded one said hello again before the next),
    // and messages are handled in order: once a stylesheet swap sent after the last round shows
    // in every tab, every tab has handled every reload, and a load it owed to another page's
    // round would have been counted.
    await writeFile(join(site.dir, 'site.css'), 'h1 { color: rgb(0, 0, 255) }')
    await Promise.all(pages.map(page => colourShown(page, 'rgb(0, 0, 255)')))
    for (const [i, page] of pages.entries()) {
      const why = loads[i].why.length === 0 ? '' : ` (its client said: ${loads[i].why.join('; ')})`
      t.equal(loads[i](), patch ? 0 : 1, `${page.url()} ${patch ? 'patched, never reloaded' : 'reloaded for its own page only'}${why}`)
    }
    for (const page of pages) t.equal(await page.textContent('h1'), `${TABS[pages.indexOf(page)][0]} changed`, `${page.url()} shows its own page`)
  })
}

t.test('a stylesheet whose name holds such characters swaps its own <link> only', async t => {
  const sheets = ['c++.css', '[x].css', 'a b.css', 'é.css']
  const links = sheets.map(sheet => `<link rel="stylesheet" href="${sheet}">`).join('')
  const site = await serveSite(t, fixture(t, {
    'index.html': `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${links}</head><body><h1>sheets</h1></body></html>`,
    ...Object.fromEntries(sheets.map(sheet => [sheet, 'h1 { margin: 0 }']))
  }))
  // The css messages' paths, as the page received them: a write the watcher reported in two
  // batches (a loaded machine) is two messages, the second maybe during the next step.
  const named: string[] = []
  const page = await openPage(t, browser, `${site.origin}/`, async page => {
    const ws = await page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload') })
    ws.on('framereceived', frame => {
      const message = JSON.parse(String(frame.payload)) as { type: string, paths?: string[] }
      if (message.type === 'css') named.push(...message.paths!)
    })
    await ws.waitForEvent('framereceived', { predicate: frame => String(frame.payload).includes('"hello"') })
  })
  let since = 0 // the first message of the previous step
  for (const [i, sheet] of sheets.entries()) {
    // A property, not an attribute: a swap clones the <link>'s attributes, never its properties.
    await page.evaluate(() => { document.querySelectorAll('link[rel=stylesheet]').forEach(link => Object.assign(link, { isOriginal: true })) })
    const step = named.length
    const rgb = `rgb(${i + 1}, 0, 0)`
    await writeFile(join(site.dir, sheet), `h1 { color: ${rgb} }`)
    await colourShown(page, rgb)
    await until(page, count => document.querySelectorAll('link[rel=stylesheet]').length === count, sheets.length)
    const kept = await page.$$eval('link[rel=stylesheet]', links => links.map(link => (link as { isOriginal?: boolean }).isOriginal === true))
    const swapped = sheets.filter((_, j) => !kept[j])
    t.ok(swapped.includes(sheet), `the <link> of ${sheet} was swapped`)
    const allowed = new Set(named.slice(since).map(path => decodeURIComponent(path.slice(1))))
    t.same(swapped.filter(other => !allowed.has(other)), [], `only <link>s a css message named since the previous step were swapped (${[...allowed].join(', ')})`)
    since = step
  }
})
