// The Server-Sent Events fallback at {path}/events: a real Fastify on a loopback port, read
// by a raw HTTP client, and the hub's SSE peer on a bare node:http server.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { createHub, type Hub } from '../lib/channel/hub.js'
import { ssePeer, type Framing, type Peer } from '../lib/channel/peers.js'
import { connectLiveReload } from '../lib/testing.js'
import type { BroadcastMessage, LiveReloadOptions } from '../types/index.js'
import { listen } from './helpers/app.js'
import { harness } from './helpers/harness.js'
import { eventually } from './helpers/eventually.js'
import { nextEvent, openEvents, type EventStream, type SseEvent } from './helpers/events.js'
import { collectingLogger } from './helpers/log.js'

async function app (t: Test, opts: LiveReloadOptions = {}) {
  const { app: server, port, origin } = await harness(t, { options: opts })
  return { server, port, url: `${origin}/__livereload/events` }
}

/** The first event of that type, whether it has arrived already or not. */
async function first (stream: EventStream, type: string): Promise<unknown> {
  const seen = stream.events.find(e => e.event === type)
  return seen === undefined ? await nextEvent(stream, type) : JSON.parse(seen.data as string)
}

/** A stream of the test, closed when the test ends, once its hello has arrived. */
async function openStream (t: Test, url: string): Promise<EventStream> {
  const stream = await openEvents(url)
  t.teardown(() => stream.close())
  await first(stream, 'hello')
  return stream
}

t.test('the stream starts with a retry hint and hello, then carries every broadcast as event + data', async t => {
  const { server, url } = await app(t)
  const stream = await openEvents(url)
  t.teardown(() => stream.close())
  t.equal(stream.response.statusCode, 200)
  t.match(stream.response.headers, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store, no-transform', 'x-accel-buffering': 'no' })
  t.notOk(stream.response.headers['content-length'], 'no Content-Length on an endless body')
  t.same(await first(stream, 'hello'), { type: 'hello', protocol: 1, instance: server.liveReload.stats().instance })
  t.match(stream.events[0], { retry: Number }, 'the retry hint comes first')
  t.equal(server.liveReload.clients, 1, 'counted like a WebSocket client')

  const sent: BroadcastMessage[] = [
    { type: 'building', changes: ['src/a.md'] },
    { type: 'reload', paths: ['/index.html'] },
    { type: 'css', paths: ['/site.css'] },
    { type: 'img', paths: ['/logo.png'] },
    { type: 'error', errors: [{ message: 'bad\nnews', file: 'src/a.md', line: 2 }] },
    { type: 'clear' }
  ]
  const received = Promise.all(sent.map(message => nextEvent(stream, message.type)))
  for (const message of sent) server.liveReload.send(message)
  t.same(await received, sent, 'each as `event: type` with the JSON as data, multi-line text included')
})

t.test('a stream and a WebSocket receive the same messages', async t => {
  const { server, url } = await app(t)
  const stream = await openStream(t, url)
  const ws = await connectLiveReload(server, { transport: 'socket' })
  t.equal(server.liveReload.clients, 2)
  const viaStream = nextEvent(stream, 'reload')
  const viaSocket = ws.next('reload')
  server.liveReload.reload(['/a.html'])
  t.same(await viaStream, await viaSocket)
})

t.test('a stream opened while an error stands gets it after hello, until it is cleared', async t => {
  const { server, url } = await app(t)
  server.liveReload.send({ type: 'error', errors: [{ message: 'broken' }] })
  const late = await openStream(t, url)
  await first(late, 'error')
  t.same(late.events.filter(e => e.event !== undefined).map(e => e.event), ['hello', 'error'])
  server.liveReload.send({ type: 'clear' })
  const later = await openStream(t, url)
  const next = nextEvent(later, 'reload')
  server.liveReload.reload()
  await next
  t.same(later.events.filter(e => e.event !== undefined).map(e => e.event), ['hello', 'reload'], 'no error replayed after clear')
})

t.test('the Origin and Host guard applies to the stream', async t => {
  const { port, url } = await app(t, { allowedOrigins: ['https://ok.example'] })
  const cases: Array<[string, Record<string, string>, number]> = [
    ['the page\'s own origin', { origin: `http://127.0.0.1:${port}` }, 200],
    ['an allowed origin', { origin: 'https://ok.example' }, 200],
    ['a foreign origin', { origin: 'https://evil.example' }, 403],
    ['a null origin', { origin: 'null' }, 403],
    ['a rebinding name', { host: `evil.example:${port}` }, 403],
    ['a malformed Host', { host: 'a b' }, 400]
  ]
  for (const [name, headers, expected] of cases) {
    const stream = await openEvents(url, headers)
    t.equal(stream.response.statusCode, expected, name)
    stream.close()
  }
})

t.test('streams and WebSockets share maxClients: one more stream gets 503', async t => {
  const { server, url } = await app(t, { maxClients: 2 })
  await connectLiveReload(server, { transport: 'socket' })
  const stream = await openStream(t, url)
  const refused = await openEvents(url)
  t.equal(refused.response.statusCode, 503)
  refused.close()
  t.equal(server.liveReload.clients, 2)
  stream.close()
  await eventually(() => server.liveReload.clients === 1, 5000, 'the closed stream gone from the server')
  const next = await openEvents(url)
  t.teardown(() => next.close())
  t.equal(next.response.statusCode, 200, 'a slot freed by a closed stream is free again')
})

t.test('a stream that stops reading is dropped once its buffer passes the bound', async t => {
  const { server, url } = await app(t)
  const stream = await openEvents(url)
  await first(stream, 'hello')
  stream.response.pause()
  const big = { type: 'error' as const, errors: [{ message: 'x'.repeat(256 * 1024) }] }
  for (let i = 0; i < 400 && server.liveReload.clients > 0; i++) {
    server.liveReload.send(big)
    await new Promise(resolve => setImmediate(resolve))
  }
  t.equal(server.liveReload.clients, 0, 'dropped, not buffered without bound')
  stream.response.resume()
  await stream.ended
})

t.test('app.close() ends open streams itself and does not wait for them', async t => {
  const { server, url } = await app(t)
  // The clients never leave on their own: close() resolves only if the server ends the streams.
  const streams = await Promise.all([1, 2, 3].map(() => openStream(t, url)))
  await server.close()
  await Promise.all(streams.map(stream => stream.ended))
  t.ok(streams.every(stream => stream.response.complete), 'each stream was ended by the server, not cut')
  t.equal(server.liveReload.clients, 0)
})

t.test('with @fastify/compress registered (global, threshold 0) the stream is neither compressed nor buffered', async t => {
  const compress = (await import('@fastify/compress')).default
  for (const order of ['before', 'after'] as const) {
    const { app: server } = await harness(t, {
      setup: async s => { if (order === 'before') await s.register(compress, { global: true, threshold: 0 }) },
      listen: false
    })
    if (order === 'after') await server.register(compress, { global: true, threshold: 0 })
    const port = await listen(server)
    const stream = await openEvents(`http://127.0.0.1:${port}/__livereload/events`, { 'accept-encoding': 'gzip, br' })
    t.equal(stream.response.headers['content-encoding'], undefined, `compress registered ${order}: identity`)
    await first(stream, 'hello')
    const reload = nextEvent(stream, 'reload')
    server.liveReload.reload(['/x.html'])
    t.same(await reload, { type: 'reload', paths: ['/x.html'] }, 'each event arrives as it is sent')
    stream.close()
  }
})

t.test('the injector leaves the stream alone even when it would inject everywhere', async t => {
  const { server, url } = await app(t, { inject: () => true })
  const stream = await openStream(t, url)
  const reload = nextEvent(stream, 'reload')
  server.liveReload.reload()
  await reload
  t.notOk(stream.events.some((e: SseEvent) => JSON.stringify(e).includes('<script')))
})

/** A bare node:http server whose requests become SSE peers of the hub under test. */
async function serveHub (t: Test, hub: Hub): Promise<string> {
  const server = createServer((_request, response) => hub.add(ssePeer(response)))
  t.teardown(() => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) }))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

t.test('the hub heartbeat writes a comment on every stream', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log, { heartbeatMs: 30 })
  t.teardown(() => hub.closeAll())
  const stream = await openEvents(await serveHub(t, hub))
  await first(stream, 'hello')
  const ping = await stream.next(e => e.comment !== undefined)
  t.equal(ping.comment, 'ping')
  t.equal(hub.size, 1, 'a stream is never terminated for want of a pong')
  stream.close()
})

t.test('a stream whose client went away is removed from the hub', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log)
  t.teardown(() => hub.closeAll())
  const stream = await openEvents(await serveHub(t, hub))
  await first(stream, 'hello')
  t.equal(hub.size, 1)
  stream.close()
  await eventually(() => hub.size === 0, 5000, 'the stream removed')
  t.equal(hub.size, 0)
  hub.broadcast({ type: 'clear' })
})

t.test('over HTTP/2 (no WebSocket possible) the stream works and is guarded, :authority standing in for Host', async t => {
  const { connect } = await import('node:http2')
  const { app: server, port } = await harness(t, { fastify: { http2: true } as object }) // an HTTP/2 app, typed as the helper types every app
  const session = connect(`http://127.0.0.1:${port}`)
  t.teardown(() => session.close())
  const request = (path: string, headers: Record<string, string> = {}) => {
    const stream = session.request({ ':path': path, ...headers })
    stream.setEncoding('utf8')
    return stream
  }

  const foreign = request('/__livereload/events', { origin: 'https://evil.example' })
  t.equal((await once(foreign, 'response'))[0][':status'], 403, 'a foreign origin is refused')
  foreign.resume()
  const script = request('/__livereload/client.js')
  t.equal((await once(script, 'response'))[0][':status'], 200, 'the client script is served')
  script.resume()

  const events = request('/__livereload/events')
  let text = ''
  const hello = new Promise<void>(resolve => events.on('data', (chunk: string) => { text += chunk; if (text.includes('event: hello')) resolve() }))
  t.equal((await once(events, 'response'))[0][':status'], 200)
  await hello
  const reload = new Promise<void>(resolve => events.on('data', () => { if (text.includes('event: reload')) resolve() }))
  server.liveReload.reload(['/a.html'])
  await reload
  t.match(text, 'event: reload\ndata: {"type":"reload","paths":["/a.html"]}\n\n')
  events.close()
})

t.test('the hub serialises a broadcast once and frames it once per kind of peer, not once per peer', async t => {
  const calls: string[] = []
  const counted = (name: string): Framing => (message, json) => { calls.push(`${name}:${message.type}`); return [json] }
  const wsLike = counted('a')
  const sseLike = counted('b')
  const written: string[][] = []
  const peer = (framing: Framing): Peer => {
    const frames: string[] = []
    written.push(frames)
    return { framing, transport: 'sse', buffered: 0, isOpen: true, write: frame => { frames.push(frame) }, beat: () => true, close () {}, terminate () {}, onClose () {} }
  }
  const hub = createHub({ maxClients: 10 }, collectingLogger().log)
  for (const framing of [wsLike, wsLike, wsLike, sseLike, sseLike]) hub.add(peer(framing))
  calls.length = 0
  hub.broadcast({ type: 'reload', paths: ['/a.html'] })
  t.same(calls.sort(), ['a:reload', 'b:reload'])
  t.ok(written.every(frames => frames.at(-1) === '{"type":"reload","paths":["/a.html"]}'), 'every peer got the frame')
})

t.test('HEAD of the stream is not a client', async t => {
  const { server } = await app(t)
  const res = await server.inject({ method: 'HEAD', url: '/__livereload/events' })
  t.equal(res.statusCode, 404)
  t.equal(server.liveReload.clients, 0)
})
