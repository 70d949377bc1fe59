// LiveReload protocol 7 on the wire, with a real `ws` client against a real Fastify on a
// loopback port: handshake, the commands a batch becomes, the guard, and the extra listener.
import { once } from 'node:events'
import { readFile, writeFile } from 'node:fs/promises'
import { get, type IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import liveReload from '../lib/index.js'
import { createHub, HANDSHAKE_DEADLINE_MS } from '../lib/channel/hub.js'
import { serveLiveReload } from '../lib/channel/lr7-server.js'
import { DEFAULT_LIVERELOAD_HOST } from '../lib/channel/options.js'
import { resolveOptions } from '../lib/options.js'
import { connectLiveReload } from '../lib/testing.js'
import type { LiveReloadOptions } from '../types/index.js'
import { listen, testApp } from './helpers/app.js'
import { eventually } from './helpers/eventually.js'
import { fakeWorld } from './helpers/fake-world.js'
import { openEvents } from './helpers/events.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { collectingLogger, logLines } from './helpers/log.js'
import { stall } from './helpers/loop.js'
import { guardCases, upgradeStatus as upgradeAt } from './helpers/websocket.js'

const HELLO = { command: 'hello', protocols: ['http://livereload.com/protocols/official-6', 'http://livereload.com/protocols/official-7'], ver: '4.0.2' }
const SERVER_HELLO = { command: 'hello', protocols: ['http://livereload.com/protocols/official-7'], serverName: 'fastify-livereload' }

async function app (t: Test, opts: LiveReloadOptions = {}): Promise<{ server: FastifyInstance, port: number }> {
  const { app: server, port } = await harness(t, { options: { livereload: true, ...opts } })
  return { server, port }
}

interface Lr7Client { ws: WebSocket, received: unknown[], next (): Promise<unknown>, close (): Promise<void> }

/** A protocol 7 client: connects, says hello as livereload-js does, and waits for the answer. */
async function connectLr7 (port: number, headers: Record<string, string> = {}, path = '/livereload'): Promise<Lr7Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers })
  const received: unknown[] = []
  const waiters: Array<(message: unknown) => void> = []
  ws.on('message', data => {
    const message = JSON.parse(String(data))
    received.push(message)
    waiters.shift()?.(message)
  })
  await once(ws, 'open')
  const hello = new Promise((resolve, reject) => {
    waiters.push(resolve)
    // No-ops once answered. A socket the server ends may be reset: its error comes first.
    ws.once('error', reject)
    ws.once('close', code => { reject(new Error(`closed (${code}) before the server's hello`)) })
  })
  ws.send(JSON.stringify(HELLO))
  await hello
  return {
    ws,
    received,
    next: () => new Promise(resolve => waiters.push(resolve)),
    async close () {
      if (ws.readyState === WebSocket.CLOSED) return
      const closed = once(ws, 'close')
      ws.close()
      await closed
    }
  }
}

/** The HTTP status of an upgrade attempt at /livereload: 101 when it opened. */
const upgradeStatus = (port: number, headers: Record<string, string> = {}) => upgradeAt(port, headers, '/livereload')

t.test('off by default: no /livereload route', async t => {
  const { port } = await app(t, { livereload: false })
  t.equal(await upgradeStatus(port), 404)
})

t.test('the handshake: the client speaks first and the server answers its hello, and nothing else before', async t => {
  const { server, port } = await app(t)
  server.liveReload.send({ type: 'error', errors: [{ message: 'standing' }] })
  const client = await connectLr7(port)
  t.teardown(() => client.close())
  t.same(client.received, [SERVER_HELLO], 'our hello and the standing error are not for protocol 7 clients')
  t.equal(server.liveReload.clients, 1)
})

t.test('registered in a context with a prefix, /livereload is under it and answers there', async t => {
  const server = testApp(t)
  let docs: FastifyInstance | undefined
  await server.register(async context => {
    await context.register(liveReload, { livereload: true })
    docs = context
  }, { prefix: '/docs' })
  const port = await listen(server)
  const client = await connectLr7(port, {}, '/docs/livereload')
  t.teardown(() => client.close())
  t.same(client.received, [SERVER_HELLO])
  t.equal(docs?.liveReload.clients, 1)
})

t.test('a first frame that is not a protocol 7 hello closes the socket with 1002', async t => {
  const { server, port } = await app(t)
  for (const frame of ['!!ver:1.6', JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-6'] }), JSON.stringify({ command: 'info' })]) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/livereload`)
    await once(ws, 'open')
    const closed = once(ws, 'close')
    ws.send(frame)
    t.equal((await closed)[0], 1002, frame)
  }
  const binary = new WebSocket(`ws://127.0.0.1:${port}/livereload`)
  await once(binary, 'open')
  const closed = once(binary, 'close')
  binary.send(Buffer.from(JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-7'] })))
  t.equal((await closed)[0], 1002, 'a hello sent as a binary frame')
  await eventually(() => server.liveReload.clients === 0, 5000, 'the closed sockets gone from the server')
  t.equal(server.liveReload.clients, 0)
})

t.test('a page write is one reload, a stylesheet write is a liveCSS reload, a build error an alert', async t => {
  const dir = fixture(t, { 'index.html': '<h1>x</h1>', css: { 'site.css': 'h1 {}' } })
  const { server, port } = await app(t, { root: dir })
  const client = await connectLr7(port)
  t.teardown(() => client.close())

  let next = client.next()
  await writeFile(join(dir, 'index.html'), '<h1>y</h1>')
  t.same(await next, { command: 'reload', path: '/index.html', liveCSS: true, liveImg: true })

  next = client.next()
  await writeFile(join(dir, 'css/site.css'), 'h1 { color: red }')
  t.same(await next, { command: 'reload', path: '/css/site.css', liveCSS: true, liveImg: true })

  next = client.next()
  server.liveReload.send({ type: 'error', errors: [{ message: 'Unexpected token', file: 'src/a.md', line: 3 }] })
  t.same(await next, { command: 'alert', message: 'Build failed in src/a.md:3:\nUnexpected token' })
})

t.test('messages without a protocol 7 equivalent send nothing: only hello, reload and alert ever arrive', async t => {
  const { server, port } = await app(t)
  const client = await connectLr7(port)
  t.teardown(() => client.close())
  const ours = await connectLiveReload(server)
  server.liveReload.send({ type: 'building', changes: ['src/a.md'] })
  server.liveReload.send({ type: 'clear' })
  server.liveReload.send({ type: 'css', paths: ['/a.css', '/b.css'] })
  const last = ours.next('reload')
  const lastLr7 = new Promise(resolve => client.ws.on('message', data => { if (String(data).includes('"/end"')) resolve(undefined) }))
  server.liveReload.reload(['/end'])
  await last
  await lastLr7
  t.same(client.received.map(m => (m as { command: string }).command), ['hello', 'reload', 'reload', 'reload'])
  t.same(client.received.slice(1).map(m => (m as { path: string }).path), ['/a.css', '/b.css', '/end'])
})

t.test('client frames after the handshake (info) are ignored; an oversized one closes that client (1009)', async t => {
  const { server, port } = await app(t)
  const client = await connectLr7(port)
  client.ws.send(JSON.stringify({ command: 'info', plugins: { less: { version: '1.0' } }, url: 'http://127.0.0.1/' }))
  const next = client.next()
  server.liveReload.reload(['/a.html'])
  t.same(await next, { command: 'reload', path: '/a.html', liveCSS: true, liveImg: true })
  const closed = once(client.ws, 'close')
  client.ws.send('x'.repeat(64 * 1024))
  t.equal((await closed)[0], 1009)
})

t.test('the guard: Host as on the channel; Origin may be an extension or any port of the same host', async t => {
  const { port } = await app(t, { allowedOrigins: ['https://ok.example'] })
  const cases: Array<[string, Record<string, string>, number]> = [
    ...guardCases(port),
    ['the same host on another port (a page of the app, talking to the extra listener)', { origin: 'http://127.0.0.1:3000' }, 101],
    ['a Chrome extension', { origin: 'chrome-extension://jnihajbhpnppcggbcgedagnkighmdlei' }, 101],
    ['a Firefox extension', { origin: 'moz-extension://6e4ba2b2-1b1b-4c1e-9b0b-0c7c7c7c7c7c' }, 101]
  ]
  for (const [name, headers, expected] of cases) t.equal(await upgradeStatus(port, headers), expected, name)
  const open = await app(t, { allowedOrigins: true })
  t.equal(await upgradeStatus(open.port, { origin: 'https://evil.example' }), 101, 'allowedOrigins: true allows any origin')
})

t.test('protocol 7 clients count towards maxClients', async t => {
  const { server, port } = await app(t, { maxClients: 2 })
  const a = await connectLr7(port)
  const b = await connectLiveReload(server)
  t.equal(await upgradeStatus(port), 503)
  await a.close()
  await b.close()
})

/** A protocol 7 socket that opens and never says hello (ws answers the heartbeat's pings itself). */
async function silentLr7 (port: number): Promise<WebSocket> {
  const ws = silentSocket(port)
  await once(ws, 'open')
  return ws
}

function silentSocket (port: number): WebSocket {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/livereload`)
  ws.on('error', () => {}) // ended by the server: a reset is expected
  return ws
}

/** The plugin's protocol 7 routes alone, on a hub of the test's own (lowered timings). */
async function lr7Only (t: Test, hub: ReturnType<typeof createHub>): Promise<number> {
  const server = testApp(t)
  await server.register((await import('@fastify/websocket')).default)
  await serveLiveReload(server, resolveOptions({ livereload: true }), hub, server.log)
  return await listen(server)
}

t.test('protocol 7 sockets that never say hello hold no place: the channel and the event stream still answer, and greeted clients still count', async t => {
  const { server, port } = await app(t, { maxClients: 2 })
  for (let i = 0; i < 5; i++) await silentLr7(port)
  t.equal(await upgradeAt(port), 101, 'the WebSocket channel opens')
  const events = await openEvents(`http://127.0.0.1:${port}/__livereload/events`)
  t.teardown(() => events.close())
  t.equal(events.response.statusCode, 200, 'the event stream opens')
  const client = await connectLr7(port)
  t.teardown(() => client.close())
  t.equal(server.liveReload.clients, 2, 'the event stream and the greeted protocol 7 client')
  const next = client.next()
  server.liveReload.reload(['/a.html'])
  t.same(await next, { command: 'reload', path: '/a.html', liveCSS: true, liveImg: true })
  t.equal(await upgradeAt(port), 503, 'greeted clients fill maxClients')
})

t.test('a protocol 7 socket silent past the handshake deadline is dropped; a greeted one stays (the world\'s clock)', async t => {
  const fake = fakeWorld()
  const hub = createHub({ maxClients: 10 }, collectingLogger().log, {}, null, fake.world)
  const port = await lr7Only(t, hub)
  const silent = [1, 2, 3].map(() => silentSocket(port))
  await Promise.all(silent.map(async socket => await once(socket, 'open')))
  const greeted = await connectLr7(port)
  t.teardown(() => greeted.close())
  t.equal(hub.size, 1, 'only the greeted client is a client')
  // Each silent socket's deadline is set once its upgrade reaches the hub (the greeted one's has
  // ended, and the hub's heartbeat runs for its one client).
  await eventually(() => fake.timers === 3 + 1, 5000, 'the silent sockets\' deadlines set')
  const dropped = silent.map(async socket => await once(socket, 'close'))
  fake.advance(HANDSHAKE_DEADLINE_MS - 1)
  t.equal(fake.timers, 3 + 1, 'no deadline ran out before its time')
  fake.advance(1)
  t.equal(fake.timers, 1, 'each ran out at its time: the heartbeat is left')
  await Promise.all(dropped)
  t.equal(greeted.ws.readyState, WebSocket.OPEN, 'the greeted client, as old as the others, stays')
  const next = greeted.next()
  hub.broadcast({ type: 'reload', paths: ['/a.html'] })
  t.same(await next, { command: 'reload', path: '/a.html', liveCSS: true, liveImg: true })
  t.equal(hub.size, 1)
})

t.test('a hello sent in time counts though the server\'s event loop is held up past the deadline', async t => {
  const hub = createHub({ maxClients: 10 }, collectingLogger().log, { handshakeMs: 50 })
  const port = await lr7Only(t, hub)
  const ws = await silentLr7(port) // its deadline runs from the upgrade, before this open
  t.teardown(() => ws.terminate())
  const outcome = Promise.race([
    once(ws, 'message').then(([data]) => JSON.parse(String(data)) as unknown),
    once(ws, 'close').then(([code]) => `closed (${String(code)})`)
  ])
  ws.send(JSON.stringify(HELLO)) // on the server's socket before the hold
  stall(100) // the loop runs its timers before it reads its sockets: the deadline's first
  t.same(await outcome, SERVER_HELLO, 'answered, not dropped')
  t.equal(hub.size, 1)
})

t.test('silent protocol 7 sockets are bounded too: past maxClients of them, the oldest is dropped, never a greeted client', async t => {
  const hub = createHub({ maxClients: 2 }, collectingLogger().log)
  const port = await lr7Only(t, hub)
  const greeted = await connectLr7(port)
  t.teardown(() => greeted.close())
  const [first, second] = [await silentLr7(port), await silentLr7(port)]
  const firstDropped = once(first, 'close')
  const third = await silentLr7(port)
  await firstDropped
  const secondDropped = once(second, 'close')
  const late = await connectLr7(port) // pending until its hello, it pushes out the oldest silent one
  t.teardown(() => late.close())
  await secondDropped
  t.equal(third.readyState, WebSocket.OPEN, 'the youngest silent socket waits for its deadline')
  t.equal(greeted.ws.readyState, WebSocket.OPEN)
  t.equal(hub.size, 2)
  t.equal(await upgradeStatus(port), 503, 'two greeted clients fill maxClients: 2')
})

t.test('a protocol 7 client that says hello once the places are taken is refused', async t => {
  const hub = createHub({ maxClients: 2 }, collectingLogger().log)
  const port = await lr7Only(t, hub)
  const first = await connectLr7(port)
  t.teardown(() => first.close())
  const [second, third] = [await silentLr7(port), await silentLr7(port)] // both let in: one place left
  const answered = once(second, 'message')
  second.send(JSON.stringify(HELLO))
  t.same(JSON.parse(String((await answered)[0])), SERVER_HELLO)
  const refused = once(third, 'close')
  third.send(JSON.stringify(HELLO))
  await refused
  t.equal(hub.size, 2)
  second.close()
})

t.test('app.close() closes protocol 7 clients itself (1001)', async t => {
  const { server, port } = await app(t)
  const client = await connectLr7(port)
  const closed = once(client.ws, 'close')
  // The client never leaves on its own: close() resolves only if the server closes it.
  await server.close()
  t.equal((await closed)[0], 1001)
  t.equal(server.liveReload.clients, 0)
})

/** A Fastify whose log lines are collected, with the plugin registered. */
async function loggedApp (t: Test, opts: LiveReloadOptions) {
  const { logger, lines } = logLines('info')
  const { app: server } = await harness(t, { options: opts, fastify: { logger }, listen: false })
  return { server, lines }
}

t.test('with { port } an extra loopback listener speaks protocol 7, and closes with the app', async t => {
  const { server, lines } = await loggedApp(t, { livereload: { port: 0 } })
  const line = lines.find(l => /^LiveReload protocol 7 on ws:\/\/127\.0\.0\.1:\d+\/livereload$/.test(l.msg))
  t.ok(line, 'the address is logged')
  const port = Number(/:(\d+)\//.exec(line!.msg)![1])
  t.not(port, 0)
  t.equal(await upgradeStatus(port, { origin: 'http://127.0.0.1:3000' }), 101, 'a page of the app on its own port may connect')
  t.equal(await upgradeStatus(port, { origin: 'https://evil.example' }), 403, 'the guard applies there too')

  const client = await connectLr7(port)
  const next = client.next()
  server.liveReload.reload(['/index.html'])
  t.same(await next, { command: 'reload', path: '/index.html', liveCSS: true, liveImg: true })
  const closed = once(client.ws, 'close')
  await server.close()
  t.equal((await closed)[0], 1001)
  const refused = new WebSocket(`ws://127.0.0.1:${port}/livereload`)
  const [err] = await once(refused, 'error') as [NodeJS.ErrnoException]
  t.equal(err.code, 'ECONNREFUSED', 'the listener is closed')
})

t.test('a port in use fails the register with FST_LIVERELOAD_LISTEN_FAILED', async t => {
  const blocker = createServer()
  blocker.listen(0, '127.0.0.1')
  await once(blocker, 'listening')
  t.teardown(() => new Promise(resolve => blocker.close(resolve)))
  const port = (blocker.address() as AddressInfo).port
  await t.rejects(harness(t, { options: { livereload: { port } }, listen: false }), { code: 'FST_LIVERELOAD_LISTEN_FAILED', message: new RegExp(`127\\.0\\.0\\.1:${port}.*in use`) })
})

t.test('an address that cannot be bound fails the register with the system\'s reason', async t => {
  const options = { livereload: { port: 0, host: '192.0.2.1' } } // TEST-NET-1: never a local address
  await t.rejects(harness(t, { options, listen: false }), { code: 'FST_LIVERELOAD_LISTEN_FAILED', message: /192\.0\.2\.1:0.*EADDRNOTAVAIL/, cause: { code: 'EADDRNOTAVAIL' } })
})

t.test('the livereload option is validated at register time', async t => {
  t.same(resolveOptions({}).livereload, null)
  t.same(resolveOptions({ livereload: false }).livereload, null)
  t.same(resolveOptions({ livereload: true }).livereload, { port: null, host: '127.0.0.1' })
  t.same(resolveOptions({ livereload: { port: 35729 } }).livereload, { port: 35729, host: '127.0.0.1' })
  t.same(resolveOptions({ livereload: { port: 35729, host: '::1' } }).livereload, { port: 35729, host: '::1' })
  t.same(resolveOptions({ livereload: {} }).livereload, { port: null, host: '127.0.0.1' })
  const bad: Array<[unknown, RegExp]> = [
    ['yes', /option "livereload" must be a boolean/],
    [null, /option "livereload" must be a boolean/],
    [[35729], /option "livereload" must be a boolean/],
    [{ port: '35729' }, /option "livereload\.port" must be an integer/],
    [{ port: 70000 }, /option "livereload\.port"/],
    [{ port: -1 }, /option "livereload\.port"/],
    [{ port: 35729, host: '' }, /option "livereload\.host"/],
    [{ host: '0.0.0.0' }, /option "livereload\.host" only applies with livereload\.port/],
    [{ prot: 35729 }, /option "livereload\.prot" is not an option/]
  ]
  for (const [value, message] of bad) {
    t.throws(() => resolveOptions({ livereload: value } as LiveReloadOptions), { code: 'FST_LIVERELOAD_INVALID_OPTION', message }, JSON.stringify(value))
  }
})

t.test('livereload.js (from livereload-js) is served on the app and on the extra listener, behind the Host guard', async t => {
  const { server, lines } = await loggedApp(t, { livereload: { port: 0 } })
  const appPort = await listen(server)
  const extra = Number(/:(\d+)\//.exec(lines.find(l => l.msg.startsWith('LiveReload protocol 7 on'))!.msg)![1])
  const expected = await readFile(createRequire(import.meta.url).resolve('livereload-js/dist/livereload.min.js'), 'utf8')
  for (const port of [appPort, extra]) {
    const res = await fetch(`http://127.0.0.1:${port}/livereload.js`, { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } })
    t.equal(res.status, 200, `port ${port === extra ? 'extra' : 'app'}: a snippet on another site's page may load it`)
    t.match(res.headers.get('content-type'), 'text/javascript')
    t.equal(await res.text(), expected)
    const again = await fetch(`http://127.0.0.1:${port}/livereload.js`, { headers: { 'if-none-match': res.headers.get('etag')! } })
    t.equal(again.status, 304)
    const rebound = get(`http://127.0.0.1:${port}/livereload.js`, { headers: { host: 'evil.example' } })
    const [response] = await once(rebound, 'response') as [IncomingMessage]
    response.resume()
    t.equal(response.statusCode, 403, 'a rebinding Host is refused')
  }
})

t.test('without the livereload-js package, /livereload.js is a 404 that says what to install', async t => {
  const missing = () => { throw Object.assign(new Error('Cannot find module \'livereload-js\''), { code: 'MODULE_NOT_FOUND' }) }
  const { serveLiveReload } = await t.mockImport<typeof import('../lib/channel/lr7-server.js')>('../lib/channel/lr7-server.js', {
    'node:module': { createRequire: () => ({ resolve: missing }) }
  })
  const server = testApp(t)
  await server.register((await import('@fastify/websocket')).default)
  await serveLiveReload(server, resolveOptions({ livereload: true }), createHub({ maxClients: 10 }, server.log), server.log)
  const res = await server.inject('/livereload.js')
  t.equal(res.statusCode, 404)
  t.match(res.body, 'npm install --save-dev livereload-js')
})

t.test('the @default of livereload.host in types/ is the one in lib/options.ts', async t => {
  const types = await readFile(new URL('../types/index.d.ts', import.meta.url), 'utf8')
  const block = types.slice(types.indexOf('export interface LiveReloadProtocolOptions'), types.indexOf('export interface LiveReloadOptions'))
  t.match(block, `@default '${DEFAULT_LIVERELOAD_HOST}'\n   */\n  host?: string`)
})

t.test('the handshake deadline the docs and types state is the one in lib/channel/hub.ts', async t => {
  const seconds = `${HANDSHAKE_DEADLINE_MS / 1000} s`
  for (const file of ['docs/protocol.md', 'docs/security.md', 'docs/options.md', 'types/index.d.ts']) {
    const text = await readFile(new URL(`../${file}`, import.meta.url), 'utf8')
    const stated = [...text.matchAll(/(?:no `hello`|silent for) (\d+ s)/g)].map(match => match[1])
    t.ok(stated.length > 0, `${file} states it`)
    t.same(new Set(stated), new Set([seconds]), file)
  }
})
