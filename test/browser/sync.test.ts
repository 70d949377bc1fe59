// Synchronized browsing in real Chromium: two or three tabs on one site, one of them phone-sized;
// what the user does in one (real input through Playwright: trusted events) the others repeat.
// An echo, or an event that should not pass, would show up as a count too high or a value that
// changed: each test ends with a later event from the same tab as a sentinel, which the server
// relays in order, so that what did not arrive before it never will.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { generate } from 'selfsigned'
import t, { type Test } from 'tap'
import type { ClientMessage, LiveReloadOptions, ServerMessage, SyncEvent } from '../../types/index.js'
import { listen, testApp } from '../helpers/app.js'
import { browserContext, closeTab, serveSite, until, type Site } from '../helpers/browser.js'
import { eventually } from '../helpers/eventually.js'
import { fixture } from '../helpers/fixture.js'
import { harness } from '../helpers/harness.js'

const context = await browserContext(t)

const PHONE = { width: 390, height: 700 }
const DESKTOP = { width: 1200, height: 800 }

const PAGE = (body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width"></head><body>${body}</body></html>`

/**
 * Clicks counted on the page, a link to another page, both always in view (Playwright scrolls
 * what it clicks into view, which would be a scroll of the user's), and a tall page.
 */
const COUNTER = `<nav style="position: fixed; top: 0; right: 0"><button id="count">0</button> <a id="next" href="/b.html">next</a></nav>
  <div style="height: 5000px"></div>
  <script nonce="r4nd0m">document.querySelector('#count').addEventListener('click', event => { event.target.textContent = Number(event.target.textContent) + 1 })</script>`

const FORM = `<form id="form" onsubmit="event.preventDefault(); document.querySelector('#submitted').textContent = 'sent ' + this.elements.name.value">
  <input name="name" id="name">
  <textarea name="bio"></textarea>
  <input type="password" name="secret">
  <input type="hidden" name="token" value="a">
  <input name="private" data-no-sync>
  <input type="checkbox" name="agree">
  <label><input type="radio" name="size" value="s" checked> S</label>
  <label><input type="radio" name="size" value="l"> L</label>
  <select name="colour"><option value="red">red</option><option value="blue">blue</option></select>
  <button>send</button>
</form>
<p id="submitted"></p>`

const SITE = {
  'index.html': PAGE(COUNTER),
  'b.html': PAGE(`<h1>b</h1>${COUNTER}`),
  'form.html': PAGE(FORM),
  'panes.html': PAGE('<button id="count">0</button><div id="pane" style="height: 200px; overflow: auto"><div style="height: 3000px"></div></div>' +
    '<script>document.querySelector(\'#count\').addEventListener(\'click\', event => { event.target.textContent = Number(event.target.textContent) + 1 })</script>'),
  // A client-side router: its links change the URL with pushState and render in place.
  'spa.html': PAGE(`<h1 id="route">/spa.html</h1><a id="to-b" href="/spa/b">b</a> <a id="away" href="https://example.invalid/">away</a>
  <script>document.addEventListener('click', event => {
    const link = event.target.closest('#to-b')
    if (link === null) return
    event.preventDefault()
    history.pushState(null, '', link.href)
    document.querySelector('#route').textContent = location.pathname
  })</script>`),
  // Ids a selector must escape, and an element found by its place under one.
  'ids.html': PAGE(`<div id="7 > x:y"><p>zero</p><p><button>0</button></p></div> <button id="ü.[1], #2">0</button>
  <script>document.addEventListener('click', event => {
    const button = event.target.closest('button')
    if (button !== null) button.textContent = String(Number(button.textContent) + 1)
  })</script>`)
}

interface Tab {
  page: Page
  received: Array<Extract<ServerMessage, { type: 'sync' }>>
  /** The sync events the tab sent, and who waits to hear of the next. */
  sent: SyncEvent[]
  onSent: Set<() => void>
  /** Who waits for the next message the tab receives, of any type. */
  onHeard: Set<(message: ServerMessage) => void>
}

/** The site: SITE and `files`. */
async function startSite (t: Test, sync: LiveReloadOptions['sync'] = true, files: Record<string, string> = {}): Promise<Site> {
  return await serveSite(t, fixture(t, { ...SITE, ...files }), { sync })
}

/** Another origin: a server of its own on another loopback port, answering every path with `html`. */
async function otherOrigin (t: Test, html = PAGE('<h1>elsewhere</h1>')): Promise<string> {
  const app = testApp(t)
  app.all('/*', async (_request, reply) => await reply.type('text/html').send(html))
  return `http://127.0.0.1:${await listen(app)}`
}

/** Sends `events` for `path` over a WebSocket of the page's own, as any script of the page could: the client would never send them. */
async function sendFromPage (page: Page, path: string, events: SyncEvent[]): Promise<void> {
  await page.evaluate(async ({ path, events }) => await new Promise<void>(resolve => {
    const ws = new WebSocket(`ws://${location.host}/__livereload`)
    ws.onmessage = () => {
      ws.onmessage = null // after hello
      for (const event of events) ws.send(JSON.stringify({ type: 'sync', path, event }))
      resolve()
    }
  }), { path, events })
}

/** What the page's links got of untrusted clicks (another tab's, applied here), which the page stops: a mirrored click leaves nothing behind. */
const RECORD_LINK_CLICKS = `<script>window.followed = []
  document.addEventListener('click', event => {
    const link = event.target.closest('a')
    if (link !== null && !event.isTrusted) {
      followed.push(link.id)
      event.preventDefault()
    }
  })</script>`

async function followedIn (tab: Tab): Promise<string[]> {
  return await tab.page.evaluate(() => (window as unknown as { followed: string[] }).followed)
}

/** A new tab at `url`, resolved once it has joined its page; `received`: the sync messages it gets. */
/** A desktop tab and a phone tab on `path` of `site`, the desktop's opened first. */
async function deskAndPhone (t: Test, site: { origin: string }, path: string): Promise<[Tab, Tab]> {
  return [await openTab(t, context, `${site.origin}${path}`), await openTab(t, context, `${site.origin}${path}`, PHONE)]
}

async function openTab (t: Test, browser: BrowserContext, url: string, viewport = DESKTOP): Promise<Tab> {
  const page = await browser.newPage()
  await page.setViewportSize(viewport)
  t.teardown(() => closeTab(page))
  const tab: Tab = { page, received: [], sent: [], onSent: new Set(), onHeard: new Set() }
  await Promise.all([joined(tab), page.goto(url)])
  return tab
}

/** Resolves once the tab's next page has connected and joined; records the sync messages it then receives. */
async function joined (tab: Tab): Promise<void> {
  const ws = await tab.page.waitForEvent('websocket', { predicate: ws => ws.url().endsWith('/__livereload'), timeout: 20_000 })
  ws.on('framereceived', frame => {
    const message = JSON.parse(String(frame.payload)) as ServerMessage
    if (message.type === 'sync') tab.received.push(message)
    for (const listener of tab.onHeard) listener(message)
  })
  ws.on('framesent', frame => {
    const message = JSON.parse(String(frame.payload)) as ClientMessage
    if (message.type !== 'sync') return
    tab.sent.push(message.event)
    for (const listener of tab.onSent) listener()
  })
  await ws.waitForEvent('framesent', { predicate: frame => String(frame.payload).includes('"type":"join"'), timeout: 20_000 })
}

async function countOf (tab: Tab): Promise<number> {
  return Number(await tab.page.textContent('#count'))
}

async function counted (tab: Tab, n: number): Promise<void> {
  await shows(tab.page, n => document.querySelector('#count')?.textContent === String(n), n)
}

/** `until`, failing after 20 s with the predicate in the message: a wait that never ends fails its test, not the file. */
async function shows<Arg> (page: Page, predicate: (arg: Arg) => boolean, arg?: Arg): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the page never showed ${String(predicate)} (${JSON.stringify(arg)})`)), 20_000)
  })
  try {
    await Promise.race([until(page, predicate, arg), timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Resolves once `to`, brought to the front, shows `predicate(arg)` after the scroll of `from`'s
 * `element` (-1: the window). First `from` has sent where that scroller stands (looked at again
 * after each scroll it sends, since a scroll may still be moving), then `to` comes to the front: a
 * background tab gets no frames, and the scroll event that `shows` looks again on comes with one,
 * so a scroll applied behind, after the first look, would never be seen.
 */
async function scrollShows<Arg> (from: Tab, to: Tab, predicate: (arg: Arg) => boolean, arg?: Arg, element = -1): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const y = await from.page.evaluate(selector => {
      const scroller = selector === null ? document.scrollingElement! : document.querySelector(selector)!
      return scroller.scrollTop / (scroller.scrollHeight - scroller.clientHeight)
    }, element === -1 ? null : '#pane')
    if (from.sent.some(event => event.kind === 'scroll' && event.element === element && Math.abs(event.y - y) < 0.001)) break
    await nextSent(from, deadline, `the tab never sent its scroll of ${element} to ${y}`)
  }
  await to.page.bringToFront()
  await shows(to.page, predicate, arg)
}

/**
 * Resolves once the server has read everything `from` sent (its sockets are closed: it left the
 * site) and relayed it to `to`: a message the server sends after that reaches `to` after it.
 */
async function allRelayed (t: Test, site: Site, from: Tab, to: Tab, clients: number): Promise<void> {
  t.ok(new URL(from.page.url()).origin !== site.origin, 'the tab has left the site')
  await eventually(() => site.app.liveReload.clients === clients, 20_000, 'the tab that left disconnected')
  const heard = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the tab never heard the server\'s clear')), 20_000)
    const listener = (message: ServerMessage): void => {
      if (message.type !== 'clear') return
      clearTimeout(timer)
      to.onHeard.delete(listener)
      resolve()
    }
    to.onHeard.add(listener)
  })
  site.app.liveReload.send({ type: 'clear' })
  await heard
}

/** Resolves when the tab sends its next sync event; rejects with `error` at `deadline`. */
async function nextSent (tab: Tab, deadline: number, error: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      tab.onSent.delete(sent)
      reject(new Error(error))
    }, deadline - Date.now())
    function sent (): void {
      clearTimeout(timer)
      tab.onSent.delete(sent)
      resolve()
    }
    tab.onSent.add(sent)
  })
}

async function scrollFraction (page: Page): Promise<number> {
  return await page.evaluate(() => scrollY / (document.documentElement.scrollHeight - innerHeight))
}

t.test('scrolling mirrors proportionally between a desktop and a phone, with no echo', async t => {
  const site = await startSite(t)
  const desktop = await openTab(t, context, `${site.origin}/`)
  const phone = await openTab(t, context, `${site.origin}/`, PHONE)
  await desktop.page.bringToFront() // a background tab gets no frames, so no scroll events: see the form test
  await desktop.page.mouse.move(200, 200)
  await desktop.page.mouse.wheel(0, 2100) // 2100 of 4200 + a bit: about halfway
  await shows(desktop.page, () => scrollY > 0)
  const wanted = await scrollFraction(desktop.page)
  await scrollShows(desktop, phone, wanted => Math.abs(scrollY / (document.documentElement.scrollHeight - innerHeight) - wanted) < 0.01, wanted)
  t.ok(wanted > 0.3 && wanted < 0.7, `the desktop scrolled about halfway (${wanted.toFixed(3)})`)
  t.not(await phone.page.evaluate(() => scrollY), await desktop.page.evaluate(() => scrollY), 'the phone, taller, is at another pixel offset')

  // The sentinel: a click on the phone, after its scroll event; an echo would have come before it.
  await phone.page.click('#count')
  await counted(desktop, 1)
  t.same(desktop.received.map(message => message.event.kind), ['click'], 'the desktop got the click and no scroll back')
  t.equal(await scrollFraction(desktop.page), wanted, 'the desktop stayed where it was scrolled to')
})

t.test('a scrolling element named in scrollElements mirrors', async t => {
  const site = await startSite(t, { scrollElements: ['#pane'] })
  const [one, two] = await deskAndPhone(t, site, '/panes.html')
  // A scroll event is the browser's, trusted, whatever moved the pane; it comes with a frame, which a background tab does not get.
  await one.page.bringToFront()
  const top = await one.page.evaluate(() => (document.querySelector('#pane')!.scrollTop = 1400))
  await scrollShows(one, two, top => Math.abs(document.querySelector('#pane')!.scrollTop - top) <= 1, top, 0)
  // The sentinel: a click in the second tab, after the scroll event the mirrored scroll fired there.
  await two.page.click('#count')
  await counted(one, 1)
  t.same(one.received.map(message => message.event.kind), ['click'], `the pane scrolled to ${top} in both, and nothing came back`)
})

t.test('clicks mirror among three tabs, each applied once: no echo', async t => {
  const site = await startSite(t)
  const tabs = [
    await openTab(t, context, `${site.origin}/`),
    await openTab(t, context, `${site.origin}/`, PHONE),
    await openTab(t, context, `${site.origin}/`)
  ]
  // Each tab's echo of a click would go out on its socket before its own next click: every tab
  // clicks after the others have, so every echo would show in the counts.
  const turns = [0, 1, 2, 0, 1]
  for (const [i, who] of turns.entries()) {
    await tabs[who]!.page.bringToFront() // see the form test
    await tabs[who]!.page.click('#count')
    for (const tab of tabs) await counted(tab, i + 1)
  }
  t.same(await Promise.all(tabs.map(countOf)), [5, 5, 5], 'five clicks, five counts in each tab')
  t.same(tabs.map(tab => tab.received.length), [3, 3, 4], 'each tab got the clicks of the others, and no echo')
})

t.test('a tab on another page is not affected', async t => {
  const site = await startSite(t)
  const home = await openTab(t, context, `${site.origin}/`)
  const homeToo = await openTab(t, context, `${site.origin}/`)
  const away = await openTab(t, context, `${site.origin}/b.html`)
  const awayToo = await openTab(t, context, `${site.origin}/b.html`, PHONE)
  await home.page.bringToFront()
  await home.page.click('#count')
  await counted(homeToo, 1)
  // The server had relayed the click before it heard this one, from a tab on the other page.
  await awayToo.page.bringToFront()
  await awayToo.page.click('#count')
  await counted(away, 1)
  t.same(away.received.map(message => message.path), ['/b.html'], 'the tab on /b.html got only the click made on /b.html')
})

t.test('form input, choices and submits mirror; passwords and data-no-sync never', async t => {
  const site = await startSite(t)
  const [one, two] = await deskAndPhone(t, site, '/form.html')
  const { page } = one
  // Playwright waits for animation frames before each action, which a background tab gets about once a second.
  await page.bringToFront()
  await page.fill('[name=secret]', 'hunter2')
  await page.fill('[name=private]', 'mine')
  await page.fill('[name=name]', 'Ada <b>Lovelace</b>')
  await page.fill('[name=bio]', 'line one\nline two')
  await page.check('[name=agree]')
  await page.check('[name=size][value=l]')
  // Not page.selectOption, which sets the option from a script: the page hears untrusted events.
  await page.focus('[name=colour]')
  await page.keyboard.press('ArrowDown')
  await page.click('button')
  await shows(two.page, () => document.querySelector('#submitted')!.textContent !== '')

  const values = await two.page.evaluate(() => {
    const form = document.querySelector('form')!
    const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement
    return {
      name: field('name').value,
      bio: field('bio').value,
      secret: field('secret').value,
      private: field('private').value,
      agree: field('agree').checked,
      size: (form.querySelector('[name=size]:checked') as HTMLInputElement).value,
      colour: field('colour').value,
      submitted: document.querySelector('#submitted')!.textContent,
      bold: form.querySelectorAll('b').length
    }
  })
  t.same(values, {
    name: 'Ada <b>Lovelace</b>',
    bio: 'line one\nline two',
    secret: '',
    private: '',
    agree: true,
    size: 'l',
    colour: 'blue',
    submitted: 'sent Ada <b>Lovelace</b>',
    bold: 0
  }, 'text, checkbox, radio, select and submit mirrored, as text; the password and the data-no-sync field not')
  t.notOk(two.received.some(message => /hunter2|mine/.test(JSON.stringify(message))), 'the password and the private field never left the tab')
  // The sentinel: typing in the second tab, after everything it applied.
  await two.page.bringToFront()
  await two.page.fill('[name=bio]', 'from two')
  await shows(page, () => (document.querySelector('[name=bio]') as HTMLTextAreaElement).value === 'from two')
  t.same(one.received.map(message => message.event.kind), ['input'], 'nothing came back but the sentinel')
  t.equal(await page.textContent('#submitted'), 'sent Ada <b>Lovelace</b>', 'the first tab submitted once')
})

t.test('a form whose action is on another origin is not submitted for another tab, nor is a person\'s submit of it sent', async t => {
  const elsewhere = await otherOrigin(t)
  const site = await startSite(t, true, {
    // The page stops every submit, and records it: a tab stays on the site whatever it submits.
    'away.html': PAGE(`<form id="away" action="${elsewhere}/collect"><input name="q" id="q"> <button>send</button></form>
      <form id="here"><input name="r" id="r"> <button formaction="${elsewhere}/collect">send elsewhere</button></form>
      ${COUNTER}
      <script>window.submitted = []; document.addEventListener('submit', event => { submitted.push(event.target.id); event.preventDefault() })</script>`)
  })
  const one = await openTab(t, context, `${site.origin}/away.html`)
  const two = await openTab(t, context, `${site.origin}/away.html`)
  const submittedIn = async (tab: Tab) => await tab.page.evaluate(() => (window as unknown as { submitted: string[] }).submitted)
  await sendFromPage(one.page, '/away.html', [{ kind: 'submit', target: '#away' }, { kind: 'click', target: '#count' }])
  await counted(two, 1)
  t.same(await submittedIn(two), [], 'the form was not submitted for another tab')

  await one.page.bringToFront() // see the form test
  const received = two.received.length
  await one.page.fill('#q', 'typed')
  await one.page.press('#q', 'Enter')
  await one.page.click('#here button')
  await one.page.click('#count') // the sentinel
  await counted(two, 2)
  t.same(await submittedIn(one), ['away', 'here'], 'the person submitted both forms in the first tab')
  t.same(two.received.slice(received).map(message => message.event.kind), ['input', 'click'], 'the text, and the sentinel: neither submit was sent')
  t.same(await submittedIn(two), [])
})

t.test('a password field stays private once shown as text, and so do fields named or marked as passwords, a textarea too', async t => {
  const site = await startSite(t, true, {
    'passwords.html': PAGE(`<form id="form" onsubmit="event.preventDefault()">
      <input type="password" id="shown"> <button type="button" id="show" onclick="document.querySelector('#shown').type = 'text'">show</button>
      <input name="passwd"> <input id="password"> <input name="fresh" autocomplete="new-password"> <textarea name="passphrase"></textarea> <input name="name">
    </form>`)
  })
  const [one, two] = await deskAndPhone(t, site, '/passwords.html')
  const { page } = one
  await page.bringToFront() // see the form test
  await page.fill('#shown', 'hunter2')
  await page.click('#show')
  await shows(two.page, () => (document.querySelector('#shown') as HTMLInputElement).type === 'text')
  await page.fill('#shown', 'hunter2, shown')
  await page.fill('[name=passwd]', 'by its name')
  await page.fill('#password', 'by its id')
  await page.fill('[name=fresh]', 'by its autocomplete')
  await page.fill('[name=passphrase]', 'a textarea, by its name')
  await page.fill('[name=name]', 'the sentinel')
  await shows(two.page, () => (document.querySelector('[name=name]') as HTMLInputElement).value === 'the sentinel')
  t.same(two.received.map(message => message.event.kind), ['click', 'input'], 'the show button\'s click and the sentinel, nothing else')

  // And another tab's value for such a field is not applied (the rules hold both ways).
  const value = (target: string) => ({ kind: 'input', target, value: 'from a script' }) as const
  await sendFromPage(one.page, '/passwords.html', [value('#shown'), value('#form > input:nth-of-type(2)'), value('#password'), value('#form > textarea'), value('#form > input:nth-of-type(5)')])
  await shows(two.page, () => (document.querySelector('[name=name]') as HTMLInputElement).value === 'from a script')
  t.same(await two.page.evaluate(() => Array.from(document.querySelectorAll('input, textarea'), field => (field as HTMLInputElement).value)), ['', '', '', '', '', 'from a script'])
})

t.test('following a link and going back take the other tabs along', async t => {
  const site = await startSite(t)
  const [one, two] = await deskAndPhone(t, site, '/')
  await one.page.bringToFront()
  await Promise.all([joined(one), joined(two), one.page.click('#next')])
  t.equal(new URL(two.page.url()).pathname, '/b.html', 'the phone followed the link')
  t.equal(await two.page.textContent('h1'), 'b')

  await Promise.all([joined(one), joined(two), one.page.goBack()])
  t.equal(new URL(two.page.url()).pathname, '/', 'the phone went back too')

  // The phone arrived by following: it announced nothing, so the first tab stayed put.
  await two.page.bringToFront()
  await two.page.click('#count')
  await counted(one, 1)
  t.equal(new URL(one.page.url()).pathname, '/')
  t.same(one.received.map(message => message.event.kind), ['click'])
})

t.test('a page of another origin that opened the site in a window and moves it there moves no other tab; a person\'s link in that window still does', async t => {
  const site = await startSite(t)
  const elsewhere = await otherOrigin(t, PAGE('<button id="open" onclick="window.w = window.open(\'about:blank\')">open</button>'))
  const one = await openTab(t, context, `${site.origin}/`)
  const opener = await context.newPage()
  t.teardown(() => closeTab(opener))
  await opener.goto(`${elsewhere}/`)
  const [page] = await Promise.all([opener.waitForEvent('popup'), opener.click('#open')])
  t.teardown(() => closeTab(page))
  const popup: Tab = { page, received: [], sent: [], onSent: new Set(), onHeard: new Set() }
  const moveTo = async (path: string) => await opener.evaluate(url => { (window as unknown as { w: Window }).w.location.href = url }, `${site.origin}${path}`)

  await Promise.all([joined(popup), moveTo('/')])
  await Promise.all([joined(popup), moveTo('/b.html')])
  // The sentinel: a person's click in the window, on /b.html, sent after any arrival it announced.
  await page.bringToFront()
  const clicked = nextSent(popup, Date.now() + 20_000, 'the click was never sent')
  await page.click('#count')
  await clicked
  t.same(popup.sent.map(event => event.kind), ['click'], 'the arrival the other origin caused was not announced')
  t.equal(new URL(one.page.url()).pathname, '/', 'the person\'s tab stayed')

  await Promise.all([joined(popup), moveTo('/')])
  await Promise.all([joined(one), joined(popup), page.click('#next')])
  t.equal(new URL(one.page.url()).pathname, '/b.html', 'a person\'s link in the window took the other tab along')
})

t.test('a client-side router\'s link: the other tabs follow it through the click, and join the new page', async t => {
  const site = await startSite(t)
  const [one, two] = await deskAndPhone(t, site, '/spa.html')
  await one.page.bringToFront()
  await one.page.click('#to-b')
  await shows(two.page, () => location.pathname === '/spa/b' && document.querySelector('#route')!.textContent === '/spa/b')
  t.pass('the phone followed the route without a load')
  // Both are on /spa/b now, as the server knows: an event there reaches the other.
  await one.page.evaluate(() => { document.body.style.height = '5000px' })
  await two.page.evaluate(() => { document.body.style.height = '5000px' })
  await one.page.evaluate(() => scrollTo(0, 600)) // one scroll event: the browser's, trusted
  await scrollShows(one, two, () => scrollY > 0)
  t.same(two.received.map(message => message.path), ['/spa.html', '/spa/b'], 'the click on /spa.html, the scroll on /spa/b')
})

t.test('a tab does not click for another what it would not have sent: a link off the origin', async t => {
  const site = await startSite(t)
  const one = await openTab(t, context, `${site.origin}/spa.html`)
  const two = await openTab(t, context, `${site.origin}/spa.html`)
  // Sent by hand, as a page of another port on this host name could: the client would never send it.
  await one.page.evaluate(() => new Promise<void>(resolve => {
    const ws = new WebSocket(`ws://${location.host}/__livereload`)
    ws.onmessage = () => {
      ws.send(JSON.stringify({ type: 'sync', path: '/spa.html', event: { kind: 'click', target: '#away' } }))
      ws.send(JSON.stringify({ type: 'sync', path: '/spa.html', event: { kind: 'click', target: '#to-b' } })) // the sentinel
      resolve()
    }
  }))
  await shows(two.page, () => document.querySelector('#route')!.textContent === '/spa/b')
  t.equal(new URL(two.page.url()).origin, site.origin, 'the link off the origin was not followed')
})

t.test('an SVG link off the origin (xlink:href or href) is a link: a tab does not click it for another, nor sends a person\'s click on it', async t => {
  const away = await otherOrigin(t)
  const site = await startSite(t, true, {
    'svg.html': PAGE(`${COUNTER}<svg width="300" height="40" style="position: fixed; top: 40px; left: 0">
      <a id="svg-xlink" xlink:href="${away}/xlink"><text x="10" y="20">xlink</text></a>
      <a id="svg-href" href="${away}/href"><text x="150" y="20">href</text></a>
    </svg>${RECORD_LINK_CLICKS}`)
  })
  const one = await openTab(t, context, `${site.origin}/svg.html`)
  const two = await openTab(t, context, `${site.origin}/svg.html`)
  await sendFromPage(one.page, '/svg.html', [
    { kind: 'click', target: '#svg-xlink' },
    { kind: 'click', target: '#svg-href' },
    { kind: 'click', target: '#svg-xlink > text:nth-of-type(1)' },
    { kind: 'click', target: '#count' } // the sentinel
  ])
  await counted(two, 1)
  t.same(await followedIn(two), [], 'no SVG link was clicked')

  await one.page.bringToFront()
  const received = two.received.length
  await Promise.all([one.page.waitForURL(`${away}/xlink`), one.page.click('#svg-xlink')])
  await allRelayed(t, site, one, two, 1)
  t.same(two.received.slice(received), [], 'the person\'s click on the SVG link took the tab away, and was not sent')
})

t.test('a click on an element under an id that needs escaping mirrors: the selector a tab writes passes the server and the other tab', async t => {
  const site = await startSite(t)
  const [one, two] = await deskAndPhone(t, site, '/ids.html')
  await one.page.bringToFront()
  await one.page.click('p:nth-of-type(2) > button')
  await one.page.click('body > button')
  await shows(two.page, () => Array.from(document.querySelectorAll('button')).every(button => button.textContent === '1'))
  t.same(two.received.map(message => message.event), [
    { kind: 'click', target: '#\\37 \\ \\>\\ x\\:y > p:nth-of-type(2) > button:nth-of-type(1)' },
    { kind: 'click', target: '#ü\\.\\[1\\]\\,\\ \\#2' }
  ], 'the selectors, as CSS.escape wrote them')
})

t.test('a tab looks up only selectors of the form tabs write: another, however valid, is not applied (it may cost the tab seconds)', async t => {
  const site = await startSite(t)
  // The tab's WebSocket, through the test: what the server sends reaches the page, and the test adds what no server should.
  const page = await context.newPage()
  t.teardown(() => closeTab(page))
  let toPage: (message: object) => void = () => {}
  let onJoin: () => void = () => {}
  const isJoined = new Promise<void>(resolve => { onJoin = resolve })
  await page.routeWebSocket(/\/__livereload$/, ws => {
    const server = ws.connectToServer()
    toPage = message => ws.send(JSON.stringify(message))
    ws.onMessage(message => {
      if (String(message).includes('"type":"join"')) onJoin()
      server.send(message)
    })
  })
  await Promise.all([isJoined, page.goto(`${site.origin}/form.html`)])
  await page.evaluate(() => {
    const values: string[] = (window as unknown as { values: string[] }).values = []
    document.addEventListener('input', event => { values.push((event.target as HTMLTextAreaElement).value) })
  })
  const input = (target: string, value: string) => toPage({ type: 'sync', path: '/form.html', event: { kind: 'input', target, value } })
  input(':root textarea', 'a descendant')
  input('textarea', 'a tag')
  input(':is(:has(*)) > textarea', 'a costly one')
  input('#form > textarea:nth-of-type(1)', 'the sentinel')
  await shows(page, () => (window as unknown as { values: string[] }).values.includes('the sentinel'))
  t.same(await page.evaluate(() => (window as unknown as { values: string[] }).values), ['the sentinel'], 'only the selector a tab writes was applied')
})

t.test('each kind turns off on its own', async t => {
  t.test('clicks and forms off: scroll and navigation still mirror', async t => {
    const site = await startSite(t, { clicks: false, forms: false })
    const one = await openTab(t, context, `${site.origin}/`)
    const two = await openTab(t, context, `${site.origin}/`)
    await one.page.bringToFront() // see the form test
    await one.page.click('#count')
    await one.page.mouse.move(200, 200)
    await one.page.mouse.wheel(0, 600)
    await shows(one.page, () => scrollY > 0)
    await scrollShows(one, two, () => scrollY > 0)
    t.equal(await countOf(two), 0, 'the click, made first, was not mirrored')
    await one.page.bringToFront()
    await Promise.all([joined(one), joined(two), one.page.click('#next')])
    t.equal(new URL(two.page.url()).pathname, '/b.html', 'navigation mirrored')
    await Promise.all([joined(one), joined(two), one.page.goto(`${site.origin}/form.html`)])
    t.equal(new URL(two.page.url()).pathname, '/form.html', 'a typed address too')
    await one.page.fill('[name=name]', 'typed')
    await one.page.click('button')
    await shows(one.page, () => document.querySelector('#submitted')!.textContent !== '')
    // The sentinel: a scroll, sent after the input and the submit.
    await one.page.evaluate(() => { document.body.style.height = '5000px' })
    await two.page.evaluate(() => { document.body.style.height = '5000px' })
    await one.page.mouse.wheel(0, 600)
    await shows(one.page, () => scrollY > 0)
    await scrollShows(one, two, () => scrollY > 0)
    t.equal(await two.page.inputValue('[name=name]'), '', 'the input was not mirrored')
    t.equal(await two.page.textContent('#submitted'), '', 'the submit was not mirrored')
  })

  t.test('scroll and navigation off: clicks and forms still mirror', async t => {
    const site = await startSite(t, { scroll: false, navigation: false })
    const one = await openTab(t, context, `${site.origin}/`)
    const two = await openTab(t, context, `${site.origin}/`)
    await one.page.bringToFront() // see the form test
    await one.page.mouse.move(200, 200)
    await one.page.mouse.wheel(0, 600)
    await shows(one.page, () => scrollY > 0)
    await one.page.click('#count')
    await counted(two, 1)
    t.equal(await two.page.evaluate(() => scrollY), 0, 'the scroll, made first, was not mirrored')
    const three = await openTab(t, context, `${site.origin}/b.html`)
    await one.page.bringToFront()
    await Promise.all([joined(one), one.page.click('#next')])
    // The sentinel: from the first tab on /b.html, after the arrival it would have announced.
    await one.page.click('#count')
    await counted(three, 1)
    t.equal(new URL(two.page.url()).pathname, '/', 'the second tab stayed on /')
    t.same(two.received.map(message => message.event.kind), ['click'], 'and was sent nothing but the click')
  })
})

t.test('the client carries synchronized browsing only where sync is on; it works under a nonce-based CSP', async t => {
  const dir = fixture(t, SITE)
  const plain = await serveSite(t, dir)
  const plainClient = await (await fetch(`${plain.origin}/__livereload/client.js`)).text()
  t.notMatch(plainClient, /"join"/, 'the client alone has no sync code')

  const strict = await serveSite(t, dir, { sync: true }, {
    setup: app => app.get('/csp', (_request, reply) => {
      reply.header('content-security-policy', "default-src 'self'; img-src data:; script-src 'nonce-r4nd0m'; style-src 'self' 'unsafe-inline'").type('text/html').send(PAGE(COUNTER))
    })
  })
  const syncClient = await (await fetch(`${strict.origin}/__livereload/client.js`)).text()
  t.match(syncClient, /"join"/, 'the same URL serves the client with sync code')
  const violations: string[] = []
  const one = await openTab(t, context, `${strict.origin}/csp`)
  one.page.on('console', message => { if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text()) })
  const two = await openTab(t, context, `${strict.origin}/csp`)
  await one.page.bringToFront()
  await one.page.click('#count')
  await counted(two, 1)
  t.equal(await two.page.locator('livereload-sync').count(), 1, 'the indicator shows')
  t.same(violations, [])
})

t.test('the indicator can be dismissed, for the rest of the tab\'s session', async t => {
  const site = await startSite(t)
  const tab = await openTab(t, context, `${site.origin}/`)
  const { page } = tab
  t.equal(await page.locator('livereload-sync').count(), 1, 'shown')
  await page.locator('livereload-sync button').click()
  t.equal(await page.locator('livereload-sync').count(), 0, 'gone')
  // It is shown, if at all, right after the tab joins its page.
  await Promise.all([joined(tab), page.reload()])
  t.equal(await page.locator('livereload-sync').count(), 0, 'still gone after a reload')
})

t.test('from a page: a socket that floods is closed (1008), an oversized frame refused (1009), the tabs unaffected', async t => {
  const site = await startSite(t)
  const one = await openTab(t, context, `${site.origin}/`)
  const two = await openTab(t, context, `${site.origin}/`)
  // The page's own script, with the page's origin: the guard lets it in, as it lets the client.
  const codes = await one.page.evaluate(async () => {
    const closeCode = (send: (ws: WebSocket) => void) => new Promise<number>(resolve => {
      const ws = new WebSocket(`ws://${location.host}/__livereload`)
      ws.onmessage = () => { ws.onmessage = null; send(ws) } // after hello
      ws.onclose = event => resolve(event.code)
    })
    const flood = await closeCode(ws => {
      ws.send(JSON.stringify({ type: 'join', path: '/' }))
      for (let i = 0; i < 2000; i++) ws.send(JSON.stringify({ type: 'sync', path: '/', event: { kind: 'scroll', element: -1, x: 0, y: (i % 100) / 100 } }))
    })
    const oversized = await closeCode(ws => ws.send('x'.repeat(17 * 1024)))
    return { flood, oversized }
  })
  t.same(codes, { flood: 1008, oversized: 1009 })
  await one.page.bringToFront()
  await one.page.click('#count')
  await counted(two, 1)
  t.pass('the tabs still synchronize')
})

t.test('over HTTPS and HTTP/2 (HTTP/1.1 allowed): the page comes over h2, the WebSocket opens, tabs synchronize and reload', async t => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]
  })
  const secureOptions = { http2: true, https: { allowHTTP1: true, key: pems.private, cert: pems.cert } }
  const { dir, port } = await harness(t, {
    files: SITE,
    options: { sync: true },
    fastify: secureOptions as object // an HTTP/2 app, typed as the helper types every app
  })
  const origin = `https://127.0.0.1:${port}`
  const secure = await browserContext(t, { ignoreHTTPSErrors: true })
  const one = await openTab(t, secure, `${origin}/`)
  const two = await openTab(t, secure, `${origin}/`, PHONE)
  t.equal(await one.page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol), 'h2', 'the page over HTTP/2')
  await one.page.bringToFront()
  await one.page.click('#count')
  await counted(two, 1)
  const reloaded = two.page.waitForEvent('load')
  await writeFile(join(dir, 'index.html'), PAGE(`<h1>edited</h1>${COUNTER}`))
  await reloaded
  t.equal(await two.page.textContent('h1'), 'edited', 'a file edit reloads over the same channel')
})
