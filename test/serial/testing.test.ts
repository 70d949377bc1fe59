// The harness users' own tests import (fastify-livereload/testing), with real parts: a real
// watcher on temp dirs, a builder writing real files, injectWS and real loopback sockets.
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { displayPath } from '../../lib/paths.js'
import { connectLiveReload, loopbackHost } from '../../lib/testing.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { testApp } from '../helpers/app.js'
import { copyBuilder } from '../helpers/copy-builder.js'
import { eventually } from '../helpers/eventually.js'
import type { Files } from '../helpers/fixture.js'
import { harness } from '../helpers/harness.js'

async function project (t: Test, opts: Partial<LiveReloadOptions> = {}, dist: Files = {}) {
  const { app, dir } = await harness(t, {
    files: { src: { 'index.txt': 'one' }, dist },
    options: dir => {
      const src = join(dir, 'src')
      const out = join(dir, 'dist')
      return { root: out, watch: src, builder: copyBuilder(src, out), ...opts }
    },
    listen: false
  })
  return { app, src: join(dir, 'src'), dist: join(dir, 'dist') }
}

async function plainApp (t: Test, opts: LiveReloadOptions = {}): Promise<FastifyInstance> {
  const { app } = await harness(t, { options: opts, listen: false })
  return app
}

t.test('an app that is not listening is reached through injectWS, without a port', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app)
  t.equal(lr.transport, 'inject')
  t.equal(app.server.listening, false)
  t.same(lr.hello, { type: 'hello', protocol: 1, instance: app.liveReload.stats().instance })
  t.equal(app.liveReload.clients, 1)
  const reload = lr.next('reload')
  app.liveReload.reload(['/a.html'])
  t.same(await reload, { type: 'reload', paths: ['/a.html'] })
  t.same(lr.messages.map(m => m.type), ['hello', 'reload'])
})

t.test('injectWS alone is refused by the Host guard; the harness sends a local Host', async t => {
  const { app } = await harness(t, {
    setup: async app => { await app.register((await import('@fastify/websocket')).default) }, // the app's own injectWS reaches the channel too
    listen: false
  })
  await app.ready()
  await t.rejects(app.injectWS('/__livereload'), /400/, 'no Host header: refused')
  const lr = await connectLiveReload(app, { transport: 'inject' })
  t.equal(lr.hello.type, 'hello')
})

t.test('without @fastify/websocket of its own, the app gets none from the plugin; the harness still injects', async t => {
  const app = await plainApp(t)
  await app.ready()
  t.notOk(app.hasDecorator('injectWS'), 'no injectWS on the app')
  t.notOk(app.hasDecorator('websocketServer'), 'no websocketServer on the app')
  const lr = await connectLiveReload(app, { transport: 'inject' })
  t.equal(lr.hello.type, 'hello')
})

t.test('a listening app is reached through a real loopback socket', async t => {
  const app = await plainApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const lr = await connectLiveReload(app)
  t.equal(lr.transport, 'socket')
  const css = lr.next('css')
  app.liveReload.send({ type: 'css', paths: ['/s.css'] })
  t.same(await css, { type: 'css', paths: ['/s.css'] })
})

t.test('transport "socket" makes an app that is not listening listen on loopback', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app, { transport: 'socket' })
  t.equal(lr.transport, 'socket')
  t.match(app.server.address(), { address: '127.0.0.1' })
  t.equal(app.liveReload.clients, 1)
})

t.test('an app listening on IPv6 loopback is reached there', async t => {
  const app = await plainApp(t)
  await app.listen({ port: 0, host: '::1' })
  const lr = await connectLiveReload(app)
  t.equal(lr.transport, 'socket')
  t.equal(app.liveReload.clients, 1)
})

t.test('an app listening on a Unix socket is reached through injectWS; "socket" says why it cannot', async t => {
  const app = await plainApp(t)
  const sock = join(tmpdir(), `livereload-${process.pid}-${Date.now()}.sock`) // short: a socket path has a 107-byte limit
  t.teardown(() => rm(sock, { force: true }))
  await app.listen({ path: sock })
  t.equal((await connectLiveReload(app)).transport, 'inject')
  await t.rejects(connectLiveReload(app, { transport: 'socket' }), {
    code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /needs a plain HTTP server listening on TCP; use transport: "inject"/
  })
})

t.test('an app hook that answers first is reported with its status', async t => {
  const { app } = await harness(t, {
    setup: app => { app.addHook('onRequest', async (_request, reply) => await reply.code(401).send('login first')) },
    listen: false
  })
  await t.rejects(connectLiveReload(app, { transport: 'socket' }), {
    message: /answered 401: login first; not the channel's answer \(does an onRequest hook of the app answer first\?\)/
  })
})

t.test('a full server is reported as such', async t => {
  const app = await plainApp(t, { maxClients: 1 })
  await connectLiveReload(app)
  await t.rejects(connectLiveReload(app), { code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /answered 503: the server has maxClients clients already/ })
})

t.test('a path that upgrades but sends no hello is not the channel', async t => {
  const { app } = await harness(t, {
    setup: async app => {
      await app.register((await import('@fastify/websocket')).default)
      app.get('/echo', { websocket: true }, socket => { socket.send('not JSON') })
    },
    listen: false
  })
  await t.rejects(connectLiveReload(app, { path: '/echo', timeout: 200 }), {
    code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /"\/echo": no hello from the server \(.*timed out after 200 ms waiting for "hello"/
  })
})

t.test('a server bound to a wildcard address is reached through loopback', async t => {
  const cases: Array<[string, 'IPv4' | 'IPv6', string]> = [
    ['0.0.0.0', 'IPv4', '127.0.0.1'],
    ['127.0.0.1', 'IPv4', '127.0.0.1'],
    ['::', 'IPv6', '[::1]'],
    ['::1', 'IPv6', '[::1]'],
    ['fe80::1', 'IPv6', '[fe80::1]']
  ]
  for (const [address, family, host] of cases) t.equal(loopbackHost({ address, family, port: 1 }), host, address)
})

t.test('both transports report a guard refusal with the status and the reason', async t => {
  const app = await plainApp(t)
  const headers = { origin: 'https://evil.example' }
  await t.rejects(connectLiveReload(app, { transport: 'inject', headers }), {
    code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /answered 403: refused by the Origin\/Host guard/
  })
  await t.rejects(connectLiveReload(app, { transport: 'socket', headers }), {
    code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /answered 403: cross-origin requests are not allowed/
  })
  t.equal(app.liveReload.clients, 0)
})

t.test('connecting fails clearly without the plugin, with it off, on a wrong path, and on bad options', async t => {
  const bare = testApp(t)
  await t.rejects(connectLiveReload(bare), { code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /not registered on this app/ })
  const off = await plainApp(t, { enabled: false })
  await t.rejects(connectLiveReload(off), { code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /live reload is off/ })
  const app = await plainApp(t, { path: '/__lr' })
  await t.rejects(connectLiveReload(app), { code: 'FST_LIVERELOAD_CONNECT_FAILED', message: /"\/__livereload": the server answered 404/ })
  t.equal((await connectLiveReload(app, { path: '/__lr' })).hello.type, 'hello')
  await t.rejects(connectLiveReload(app, { transport: 'tcp' as never }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"transport"/ })
  await t.rejects(connectLiveReload(app, { timeout: 0 }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"timeout"/ })
  await t.rejects(connectLiveReload(app, { path: 'x' }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"path"/ })
})

t.test('a wait that times out names the type, the timeout and the messages seen meanwhile', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app, { timeout: 300 })
  const css = lr.next('css')
  app.liveReload.reload(['/a.html'])
  await t.rejects(css, {
    code: 'FST_LIVERELOAD_TIMEOUT',
    message: 'fastify-livereload: timed out after 300 ms waiting for "css"; received meanwhile: {"type":"reload","paths":["/a.html"]}',
    awaited: ['css'],
    timeout: 300,
    messages: [{ type: 'reload', paths: ['/a.html'] }]
  })
  await t.rejects(lr.next(['img', 'clear'], { timeout: 100 }), { message: /after 100 ms waiting for "img" or "clear"; no message arrived meanwhile$/ })
  const long = lr.next('css', { timeout: 100 })
  app.liveReload.reload(Array.from({ length: 50 }, (_, i) => `/page-${i}.html`))
  await t.rejects(long, { message: /received meanwhile: \{"type":"reload","paths":\["\/page-0\.html",.{200,}…$/ }, 'a long message is cut short')
})

t.test('next takes several types and resolves with the first of them', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app)
  const either = lr.next(['css', 'reload'])
  app.liveReload.send({ type: 'building', changes: [] })
  app.liveReload.send({ type: 'css', paths: [] })
  t.same(await either, { type: 'css', paths: [] })
})

t.test('change runs a real build through the real watcher and resolves with building, then reload', async t => {
  const { app, src } = await project(t)
  const lr = await connectLiveReload(app)
  const messages = await lr.change(join(src, 'index.txt'), 'two')
  t.match(messages, [{ type: 'building', changes: [/index\.txt$/] }, { type: 'reload', paths: ['/index.html'] }])
  t.equal(messages.length, 2)
  t.match((await app.inject('/index.html')).body, 'two', 'the new page is served when the reload arrives')
  t.equal(lr.lastErrors(), null)
})

t.test('a broken source ends in error, lastErrors and stats agree, and the fix clears it', async t => {
  const { app, src } = await project(t)
  const lr = await connectLiveReload(app)
  const file = join(src, 'index.txt')
  t.match(await lr.change(file, 'broken'), [{ type: 'building' }, { type: 'error', errors: [{ message: 'cannot build index.txt', line: 1 }] }])
  t.match(lr.lastErrors(), [{ message: 'cannot build index.txt', line: 1 }])
  t.same(lr.lastErrors(), app.liveReload.stats().lastErrors)

  t.match(await lr.change(file, 'fixed'), [{ type: 'building' }, { type: 'reload', paths: ['/index.html'] }])
  t.equal(lr.lastErrors(), null)
  t.equal(app.liveReload.stats().lastErrors, null)
})

t.test('a client that connects after a failed build sees the standing error', async t => {
  const { app, src } = await project(t)
  const first = await connectLiveReload(app)
  await first.change(join(src, 'index.txt'), 'broken')
  const late = await connectLiveReload(app)
  if (late.messages.length === 1) await late.next('error') // replayed right after hello
  t.match(late.lastErrors(), [{ message: 'cannot build index.txt' }])
})

t.test('change in the output directory resolves with css, without a build', async t => {
  const { app, dist } = await project(t, { buildOnStart: false }, { css: { 'site.css': 'body {}' } })
  const lr = await connectLiveReload(app)
  const file = relative(process.cwd(), join(dist, 'css', 'site.css')) // relative to the working directory
  t.same(await lr.change(file, 'body { color: red }'), [{ type: 'css', paths: ['/css/site.css'] }])
  t.equal((await app.inject('/css/site.css')).body, 'body { color: red }')
})

t.test('change creates a missing directory; the new file reloads', async t => {
  const { app, dist } = await project(t, { buildOnStart: false })
  const lr = await connectLiveReload(app)
  const messages = await lr.change(join(dist, 'blog', 'post.html'), '<p>new</p>')
  t.equal(messages.length, 1)
  t.equal(messages[0].type, 'reload')
  t.ok('paths' in messages[0] && messages[0].paths.includes('/blog/post.html'), 'names the new page')
  t.equal((await app.inject('/blog/post.html')).statusCode, 200)
})

t.test('trigger awaits the outcome of any action: a delete, a manual build', async t => {
  // No start-up build: a page it had just written and the watcher had not yet reported, deleted
  // at once, is a create and a delete of one path in one batch, which the watcher reports as
  // nothing (seen under load on Node 24). The page is there from the start instead.
  const { app, dist } = await project(t, { buildOnStart: false }, { 'index.html': '<p>one</p>' })
  const lr = await connectLiveReload(app)
  t.same(await lr.trigger(() => rm(join(dist, 'index.html'))), [{ type: 'reload', paths: ['/index.html'] }])
  t.match(await lr.trigger(() => app.liveReload.build({ full: true })), [{ type: 'building', changes: [] }, { type: 'reload', paths: ['/index.html'] }])
  await t.rejects(lr.trigger(() => { throw new Error('boom') }), { message: 'boom' }, 'the action\'s own failure')
})

t.test('an unchanged build resolves with building and clear', async t => {
  const { app, src } = await project(t)
  const lr = await connectLiveReload(app)
  t.same(await lr.change(join(src, 'index.txt'), 'one'), [{ type: 'building', changes: [displayPath(join(src, 'index.txt'))] }, { type: 'clear' }])
})

for (const transport of ['inject', 'socket'] as const) {
  t.test(`close (${transport}) is idempotent, rejects pending waits and leaves the server no client`, async t => {
    const app = await plainApp(t)
    const lr = await connectLiveReload(app, { transport })
    const pending = lr.next('reload')
    await Promise.all([lr.close(), lr.close()])
    await lr.close()
    await t.rejects(pending, { code: 'FST_LIVERELOAD_CHANNEL_CLOSED', message: /waiting for "reload" \(code 10\d\d/ })
    await t.rejects(lr.next('css'), { code: 'FST_LIVERELOAD_CHANNEL_CLOSED' }, 'a wait after close fails at once')
    let acted = false
    await t.rejects(lr.trigger(() => { acted = true }), { code: 'FST_LIVERELOAD_CHANNEL_CLOSED' })
    t.notOk(acted, 'trigger does not act on a closed connection')
    await eventually(() => app.liveReload.clients === 0, 5000, 'the server saw it go')
    t.equal(app.liveReload.clients, 0, 'the server saw it go')
  })
}

t.test('app.close() closes the connection with 1001 and fails a pending wait', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app)
  const pending = t.rejects(lr.next('reload'), { code: 'FST_LIVERELOAD_CHANNEL_CLOSED', message: /code 1001, server shutting down/ })
  await app.close()
  t.same(await lr.closed, { code: 1001, reason: 'server shutting down' })
  await pending
  await lr.close()
})

t.test('send delivers a raw frame: an oversized one gets the client closed with 1009', async t => {
  const app = await plainApp(t)
  const lr = await connectLiveReload(app)
  lr.send('x'.repeat(4096))
  t.equal((await lr.closed).code, 1009)
})
