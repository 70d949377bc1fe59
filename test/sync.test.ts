// Synchronized browsing on the server, over real sockets: what one tab sends reaches the other
// tabs on its page, rebuilt, and nothing else; a tab that floods is closed; frames stay bounded;
// the rates, kept on the world's clock, counted exactly on a fake one.
// Absence is shown with a sentinel: a broadcast sent after the relay reaches every socket after
// anything the relay wrote to it.
import { once } from 'node:events'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { SYNC_BURST, SYNC_MAX_FRAME_BYTES, SYNC_PAGE_BURST, SYNC_RATE_PER_S } from '../lib/channel/sync-relay.js'
import type { LiveReloadOptions } from '../types/index.js'
import { channelClient, joinPage, type ChannelClient } from './helpers/cli.js'
import { fakeWorld } from './helpers/fake-world.js'
import { harness, type Harness } from './helpers/harness.js'

interface Tab extends ChannelClient { closed: Promise<[number, string]> }

async function start (t: Test, sync: LiveReloadOptions['sync'] = true): Promise<Harness> {
  return await harness(t, { options: { sync } })
}

/** A real WebSocket client, resolved after its `hello` (and its `join`, when `path` is given). */
async function tab (t: Test, port: number, path?: string): Promise<Tab> {
  const client = await channelClient(t, `http://127.0.0.1:${port}`)
  const closed = once(client.ws, 'close').then(([code, reason]) => [code as number, String(reason)] as [number, string])
  if (path !== undefined) await joinPage(client.ws, path)
  return { ...client, closed }
}

const click = (target: string, path = '/') => JSON.stringify({ type: 'sync', path, event: { kind: 'click', target, extra: '<b>' } })

t.test('hello says which kinds are on, and only with the option', async t => {
  const on = await start(t, { forms: false, scrollElements: ['#pane'] })
  const hello = (await tab(t, on.port)).messages[0]
  t.same(hello, { type: 'hello', protocol: 1, instance: on.app.liveReload.stats().instance, sync: { scroll: true, clicks: true, forms: false, navigation: true, scrollElements: ['#pane'] } })
  const off = await start(t, false)
  t.notOk('sync' in (await tab(t, off.port)).messages[0]!, 'no sync field without the option')
})

t.test('an event goes to the other tabs on its page, rebuilt; not back, not to other pages', async t => {
  const { app, port } = await start(t)
  const [a, b, c, elsewhere, silent] = [await tab(t, port, '/'), await tab(t, port, '/'), await tab(t, port, '/'), await tab(t, port, '/b.html'), await tab(t, port)]
  a.ws.send(click('#count'))
  const expected = { type: 'sync', path: '/', event: { kind: 'click', target: '#count' } }
  t.same(await b.next('sync'), expected)
  t.same(await c.next('sync'), expected)
  app.liveReload.reload() // the sentinel
  for (const [name, other] of Object.entries({ a, elsewhere, silent })) {
    await other.next('reload')
    t.same(other.messages.map(message => message.type), ['hello', 'reload'], `${name}: nothing but the sentinel`)
  }
})

t.test('a tab that moves to another page (join again) gets that page\'s events only', async t => {
  const { app, port } = await start(t)
  const [a, b] = [await tab(t, port, '/'), await tab(t, port, '/b.html')]
  await joinPage(b.ws, '/')
  b.ws.send(click('#x', '/b.html')) // on /b.html, where nobody is now: b left it
  b.ws.ping()
  await once(b.ws, 'pong')
  a.ws.send(click('#y'))
  t.same(await b.next('sync'), { type: 'sync', path: '/', event: { kind: 'click', target: '#y' } })
  app.liveReload.reload()
  await a.next('reload')
  t.same(a.messages.map(message => message.type), ['hello', 'reload'])
})

t.test('typed text up to 16 KiB goes through; a larger frame closes that tab (1009)', async t => {
  const { port } = await start(t)
  const [a, b] = [await tab(t, port, '/'), await tab(t, port, '/')]
  const value = 'x'.repeat(SYNC_MAX_FRAME_BYTES - 200)
  a.ws.send(JSON.stringify({ type: 'sync', path: '/', event: { kind: 'input', target: '#bio', value } }))
  t.same(await b.next('sync'), { type: 'sync', path: '/', event: { kind: 'input', target: '#bio', value } })
  a.ws.send('x'.repeat(SYNC_MAX_FRAME_BYTES + 1))
  t.equal((await a.closed)[0], 1009)
  t.equal(b.ws.readyState, WebSocket.OPEN, 'the other tab stays')
})

/** A server whose hub keeps its rates on a fake clock: no token comes back until the test moves it. */
async function startOnFakeClock (t: Test) {
  const fake = fakeWorld()
  return { fake, ...await harness(t, { options: { sync: true }, world: fake.world }) }
}

/** The sync events `tab` got up to a sentinel: a broadcast reaches every socket after anything the relay wrote to it before. */
async function syncedUpTo (app: Harness['app'], tabs: Tab[]): Promise<number[]> {
  app.liveReload.reload()
  await Promise.all(tabs.map(async tab => await tab.next('reload')))
  return tabs.map(tab => tab.messages.filter(message => message.type === 'sync').length)
}

t.test('a tab that floods is rate-limited, then closed (1008); the others stay', async t => {
  const { app, port } = await startOnFakeClock(t)
  const b = await tab(t, port, '/')
  const flood = await tab(t, port, '/')
  for (let i = 0; i < 10 * SYNC_BURST; i++) flood.ws.send(click(`#b${i}`))
  t.same(await flood.closed, [1008, 'sync events too fast'])
  // The burst is every frame the tab sent, its join the first; the clock stood, so nothing came back.
  t.same(await syncedUpTo(app, [b]), [SYNC_BURST - 1], 'the others got the burst less the join')
  t.equal(b.ws.readyState, WebSocket.OPEN)
  t.equal(app.liveReload.clients, 1, 'the flooding tab is gone')
})

t.test('a tab\'s rate comes back with the clock: past its burst, what a second gives back goes through', async t => {
  const { app, port, fake } = await startOnFakeClock(t)
  const b = await tab(t, port, '/')
  const sender = await tab(t, port, '/')
  const send = async (count: number, from: number): Promise<void> => {
    for (let n = from; n < from + count; n++) sender.ws.send(click(`#s${n}`))
    sender.ws.ping()
    await once(sender.ws, 'pong') // the server takes a socket's frames in order: all taken
  }
  await send(SYNC_BURST, 0) // the join took one: the last of these is dropped
  t.same(await syncedUpTo(app, [b]), [SYNC_BURST - 1], 'the burst, less the join')
  fake.advance(1000)
  await send(SYNC_RATE_PER_S + 1, SYNC_BURST)
  t.same(await syncedUpTo(app, [b]), [SYNC_BURST - 1 + SYNC_RATE_PER_S], 'a second\'s rate more, and no more')
  t.equal(sender.ws.readyState, WebSocket.OPEN, 'two frames dropped: not a flood')
})

t.test('a page has a budget of its own: 60 tabs on it, each within its own rate, cannot make the server relay more than the page allows', async t => {
  const { app, port } = await startOnFakeClock(t)
  const tabs = await Promise.all(Array.from({ length: 60 }, async () => await tab(t, port, '/')))
  // Each tab sends at once all its own rate allows (its burst, less the join), then a ping: the
  // server takes a socket's frames in order, so its pong says it has taken them all.
  await Promise.all(tabs.map(async ({ ws }, i) => {
    for (let n = 0; n < SYNC_BURST - 1; n++) ws.send(click(`#t${i}-${n}`))
    ws.ping()
    await once(ws, 'pong')
  }))
  // A delivery is one event sent to one other tab: 59 for each event relayed here, each taking
  // as much of the page's budget (at most its burst); the clock stood, so none came back.
  const delivered = (await syncedUpTo(app, tabs)).reduce((sum, count) => sum + count, 0)
  const cost = Math.min(59, SYNC_PAGE_BURST)
  t.equal(delivered, 59 * Math.floor(SYNC_PAGE_BURST / cost), `${delivered} deliveries of ${60 * (SYNC_BURST - 1) * 59} asked for: the page's burst`)
  t.equal(app.liveReload.clients, 60, 'no tab was closed: each kept within its own rate')
})

t.test('without the option, what tabs send is ignored', async t => {
  const { app, port } = await start(t, false)
  const [a, b] = [await tab(t, port, '/'), await tab(t, port, '/')]
  a.ws.send(click('#count'))
  app.liveReload.reload()
  await b.next('reload')
  t.same(b.messages.map(message => message.type), ['hello', 'reload'])
})
