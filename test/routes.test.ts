import { EventEmitter, once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import liveReload from '../lib/index.js'
import { connectLiveReload } from '../lib/testing.js'
import { listen, testApp } from './helpers/app.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { guardCases, upgradeStatus } from './helpers/websocket.js'

t.test('the Origin and Host guard refuses cross-site and rebinding requests before any 101', async t => {
  const { port } = await harness(t, { options: { allowedOrigins: ['https://ok.example'], allowedHosts: ['.example.test'] } })
  const cases: Array<[string, Record<string, string>, number]> = [
    ...guardCases(port),
    ['localhost', { host: `localhost:${port}` }, 101],
    ['a *.localhost name', { host: `app.localhost:${port}` }, 101],
    ['IPv6 loopback', { host: `[::1]:${port}` }, 101],
    ['an allowed domain', { host: `dev.example.test:${port}` }, 101]
  ]
  for (const [name, headers, expected] of cases) t.equal(await upgradeStatus(port, headers), expected, name)
})

t.test('status and client.js sit behind the same guard', async t => {
  const { app } = await harness(t)
  t.equal((await app.inject({ url: '/__livereload/status', headers: { origin: 'https://evil.example' } })).statusCode, 403)
  t.equal((await app.inject({ url: '/__livereload/status', headers: { host: 'evil.example' } })).statusCode, 403)
  const crossSite = await app.inject({ url: '/__livereload/client.js', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } })
  t.equal(crossSite.statusCode, 403, 'a cross-site <script> include')
  t.notOk(crossSite.headers['access-control-allow-origin'])
})

t.test('client.js is served with its headers and revalidates with 304', async t => {
  const { app } = await harness(t)
  const res = await app.inject('/__livereload/client.js')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], 'text/javascript')
  t.match(res.headers, { 'cache-control': 'no-cache', 'cross-origin-resource-policy': 'same-origin', 'x-content-type-options': 'nosniff' })
  const again = await app.inject({ url: '/__livereload/client.js', headers: { 'if-none-match': String(res.headers.etag) } })
  t.equal(again.statusCode, 304)
})

t.test('status returns the stats as JSON, never cached', async t => {
  const { app } = await harness(t)
  const res = await app.inject('/__livereload/status')
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.json(), { instance: app.liveReload.stats().instance, clients: 0, builds: 0 })
})

t.test('beyond maxClients the upgrade is refused with 503', async t => {
  const { app, port } = await harness(t, { options: { maxClients: 2 } })
  const a = await connectLiveReload(app)
  const b = await connectLiveReload(app)
  t.equal(await upgradeStatus(port, {}), 503)
  t.equal(app.liveReload.clients, 2)
  await a.close()
  await b.close()
})

t.test('broadcasts reach every client; a late client gets the standing error until it is cleared', async t => {
  const { app } = await harness(t)
  const a = await connectLiveReload(app)
  const b = await connectLiveReload(app)
  const messages = [a.next('reload'), b.next('reload')]
  app.liveReload.reload(['/a.html'])
  t.same(await Promise.all(messages), [{ type: 'reload', paths: ['/a.html'] }, { type: 'reload', paths: ['/a.html'] }])
  app.liveReload.send({ type: 'error', errors: [{ message: 'x' }] })
  const late = await connectLiveReload(app)
  const replayed = late.messages.length > 1 ? late.messages[1] : await late.next('error')
  t.same(replayed, { type: 'error', errors: [{ message: 'x' }] })
  app.liveReload.send({ type: 'clear' })
  const later = await connectLiveReload(app)
  t.same(later.messages.map(m => m.type), ['hello'], 'forgotten after clear')
  t.equal(app.liveReload.stats().messages, 3)
})

t.test('an oversized client frame closes that client only (1009); small frames are ignored', async t => {
  const { app } = await harness(t)
  const big = await connectLiveReload(app)
  const small = await connectLiveReload(app)
  small.send('garbage that the server ignores')
  const closed = big.closed
  big.send('x'.repeat(4096))
  t.equal((await closed).code, 1009)
  const reload = small.next('reload')
  app.liveReload.reload()
  t.same(await reload, { type: 'reload', paths: [] })
})

/** The app's echo route over a real socket: what it sends back, or the status it was refused with. */
async function echoes (t: Test, port: number): Promise<string> {
  const echo = new WebSocket(`ws://127.0.0.1:${port}/echo`)
  t.teardown(() => echo.terminate())
  const refused = once(echo, 'unexpected-response').then(([, response]) => `refused ${(response as { statusCode: number }).statusCode}`)
  const opened = once(echo, 'open').then(async () => {
    const reply = once(echo, 'message')
    echo.send('ping')
    return String((await reply)[0])
  })
  return await Promise.race([refused, opened])
}

t.test('the app\'s own @fastify/websocket, registered before the plugin or after it: its routes and the channel both work', async t => {
  const websocket = (await import('@fastify/websocket')).default
  for (const order of ['before', 'after']) {
    const { app } = await harness(t, {
      setup: async server => { if (order === 'before') await server.register(websocket) },
      listen: false
    })
    // After: the plugin's own registration once took the app's decorators, and the app crashed at start.
    if (order === 'after') await app.register(websocket)
    app.get('/echo', { websocket: true }, socket => { socket.on('message', data => socket.send(String(data))) })
    const port = await listen(app)
    const client = await connectLiveReload(app, { transport: 'socket' })
    t.equal(await echoes(t, port), 'ping', `${order}: the app's route`)
    const reload = client.next('reload')
    app.liveReload.reload(['/x.html'])
    t.same(await reload, { type: 'reload', paths: ['/x.html'] }, `${order}: the channel`)
    t.equal(app.liveReload.clients, 1, `${order}: one client, not two: every upgrade is routed once`)
    await client.close()
  }
})

t.test('without @fastify/websocket of its own, the app\'s WebSocket route answers as it does without the plugin', async t => {
  const answers: string[] = []
  for (const withPlugin of [false, true]) {
    const app = testApp(t)
    if (withPlugin) await app.register(liveReload)
    app.get('/echo', { websocket: true } as never, (socket: { send: (text: string) => void }) => { socket.send('never a socket here') })
    const port = await listen(app)
    answers.push(await echoes(t, port))
    t.equal(app.hasDecorator('websocketServer'), false, 'no @fastify/websocket on the app')
  }
  t.equal(answers[1], answers[0], `with the plugin as without: ${answers[0]}`)
  t.match(answers[0], /^refused \d{3}$/)
})

t.test('registered in a context with a prefix, the tag, the script, the channel and the messages all name it', async t => {
  const root = fixture(t, { 'index.html': '<html><head></head><body>one</body></html>' })
  const app = testApp(t)
  let docs: FastifyInstance | undefined
  await app.register(async context => {
    await context.register(liveReload, { root })
    docs = context
  }, { prefix: '/docs' })
  const port = await listen(app)
  const page = await app.inject('/docs/index.html')
  const src = /<script src="([^"]+)"/.exec(page.body)?.[1]
  t.equal(src, '/docs/__livereload/client.js', 'the tag names the prefix')
  t.equal((await app.inject(src ?? '')).statusCode, 200, 'where the script is')
  // Where the client connects: beside its script.
  const socket = new WebSocket(`ws://127.0.0.1:${port}${(src ?? '').replace(/\/client\.js$/, '')}`)
  t.teardown(() => socket.terminate())
  const messages: Array<{ type: string }> = []
  const arrived = new EventEmitter()
  socket.on('message', data => { messages.push(JSON.parse(String(data))); arrived.emit('message') })
  const until = async (type: string): Promise<unknown> => {
    while (!messages.some(message => message.type === type)) await once(arrived, 'message')
    return messages.find(message => message.type === type)
  }
  await until('hello')
  t.equal(docs?.liveReload.clients, 1, 'the channel has the client')
  await writeFile(join(root, 'index.html'), '<html><head></head><body>two</body></html>')
  t.same(await until('reload'), { type: 'reload', paths: ['/docs/index.html'] }, 'the message names the page where it is served')
  const closed = once(socket, 'close')
  await app.close()
  t.equal((await closed)[0], 1001, 'closing the app closes the client: its upgrade was tracked')
})
