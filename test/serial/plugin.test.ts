import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import t from 'tap'
import liveReload, { errors, liveReload as named } from '../../lib/index.js'
import { connectLiveReload } from '../../lib/testing.js'
import { testApp } from '../helpers/app.js'
import { fixture } from '../helpers/fixture.js'
import { harness } from '../helpers/harness.js'
import { logLines } from '../helpers/log.js'
import { writeFromThread } from '../helpers/writer-thread.js'

const TAG = '<script src="/__livereload/client.js" defer></script>'

function site () {
  return {
    'index.html': '<!doctype html><html><head><title>x</title></head><body><h1>x</h1></body></html>',
    css: { 'site.css': 'body { color: red }' },
    'logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
  }
}

t.test('the default export and the named export are the same plugin', async t => {
  t.equal(named, liveReload)
  t.equal(typeof errors.FST_LIVERELOAD_INVALID_OPTION, 'function')
})

t.test('invalid options fail at register time with a coded error', async t => {
  await t.rejects(harness(t, { options: { path: 'x' } as never, listen: false }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /option "path"/ })
})

t.test('root is served with the client injected into its pages', async t => {
  const { app } = await harness(t, { files: site(), listen: false })

  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.match(page.body, `<title>x</title>${TAG}</head>`)
  const css = await app.inject('/css/site.css')
  t.equal(css.body, 'body { color: red }')
})

t.test('a page write reloads, a stylesheet write hot-swaps, a delete reloads', async t => {
  const { app, dir } = await harness(t, { files: site(), options: { prefix: '/site' }, listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })

  let message: Promise<unknown> = client.next('reload')
  await writeFile(join(dir, 'index.html'), '<h1>changed</h1>')
  t.same(await message, { type: 'reload', paths: ['/site/index.html'] })

  message = client.next('css')
  await writeFile(join(dir, 'css/site.css'), 'body { color: blue }')
  t.same(await message, { type: 'css', paths: ['/site/css/site.css'] })

  // A bundler's watch mode writes the stylesheet and its source map: still a swap.
  message = client.next(['css', 'reload'])
  await writeFile(join(dir, 'css/site.css'), 'body { color: green }')
  await writeFile(join(dir, 'css/site.css.map'), '{"version":3,"sources":[],"mappings":""}')
  t.same(await message, { type: 'css', paths: ['/site/css/site.css'] })

  message = client.next('reload')
  await rm(join(dir, 'css/site.css'))
  t.same(await message, { type: 'reload', paths: ['/site/css/site.css'] })
  t.same(app.liveReload.stats().watched, [dir.startsWith(process.cwd()) ? dir.slice(process.cwd().length + 1) : dir])
})

t.test('a burst of 500 writes becomes exactly one reload', async t => {
  const { app, dir } = await harness(t, { files: site(), listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })

  const reload = client.next('reload')
  await writeFromThread(Array.from({ length: 500 }, (_, i) => [join(dir, `page-${i}.html`), `<p>${i}</p>`]))
  const message = await reload
  t.same(message.paths, [], 'more than MAX_PATHS files: everything')
  // A second message, if any, would follow within one more quiet window: the marker write proves
  // the pipeline has gone quiet and flushed since.
  const marker = client.next('css')
  await writeFile(join(dir, 'css/site.css'), 'body { color: green }')
  await marker
  t.same(client.messages.map(m => m.type), ['hello', 'reload', 'css'])
})

t.test('the app\'s own HTML routes get the client too, whenever they were declared', async t => {
  const { app } = await harness(t, {
    setup: app => { app.get('/before', (_req, reply) => reply.type('text/html').send('<html><head></head><body>b</body></html>')) },
    listen: false
  })
  app.get('/after', (_req, reply) => reply.type('text/html').send('<html><head></head><body>a</body></html>'))
  await app.register(async child => {
    child.get('/child', (_req, reply) => reply.type('text/html').send('<p>child</p>'))
  })

  for (const url of ['/before', '/after', '/child']) {
    const res = await app.inject(url)
    t.equal(res.body.split(TAG).length, 2, `${url} has the tag once`)
  }
})

t.test('the host app keeps its own @fastify/static registration', async t => {
  const top = fixture(t, { site: site(), assets: { 'a.txt': 'asset' } })
  const dir = join(top, 'site')
  const assets = join(top, 'assets')
  const app = testApp(t)
  await app.register(fastifyStatic, { root: assets, prefix: '/assets/' })
  await app.register(liveReload, { root: dir })
  app.get('/file', (_req, reply) => reply.sendFile('a.txt'))

  t.equal((await app.inject('/assets/a.txt')).body, 'asset')
  t.equal((await app.inject('/file')).body, 'asset', 'reply.sendFile is still the host\'s')
  t.match((await app.inject('/index.html')).body, TAG)
})

t.test('off in production: the one line says NODE_ENV is why', async t => {
  const before = process.env.NODE_ENV
  t.teardown(() => { process.env.NODE_ENV = before })
  process.env.NODE_ENV = 'production'
  const { logger, lines } = logLines('info')
  const { app } = await harness(t, { files: site(), fastify: { logger }, listen: false })
  await app.ready()
  t.same(lines.filter(l => /live reload is off/.test(l.msg)).map(l => l.msg), ['live reload is off (NODE_ENV is "production"); only the static files are served'])
})

t.test('registered twice in one context: a coded error; in two contexts, two channels', async t => {
  const twice = testApp(t)
  await twice.register(liveReload, { root: fixture(t, site()) })
  twice.register(liveReload, { root: false }) // its error is ready()'s
  await t.rejects(async () => await twice.ready(), { code: 'FST_LIVERELOAD_ALREADY_REGISTERED', message: /registered twice in the same context/ })
  const below = testApp(t) // the root's hooks would reach the second site's pages too
  await below.register(liveReload, { root: false })
  below.register(async c => { await c.register(liveReload, { root: false }) }, { prefix: '/docs' })
  await t.rejects(async () => await below.ready(), { code: 'FST_LIVERELOAD_ALREADY_REGISTERED', message: /or in a context below one where it is registered already.*one at the root after the others/ })
  const two = testApp(t)
  await two.register(async c => { await c.register(liveReload, { root: false }) }, { prefix: '/a' })
  await two.register(async c => { await c.register(liveReload, { root: false }) }, { prefix: '/b' })
  await two.ready()
  t.equal((await two.inject('/a/__livereload/client.js')).statusCode, 200)
  t.equal((await two.inject('/b/__livereload/client.js')).statusCode, 200)
})

t.test('enabled: false serves root only, injects nothing and logs one line', async t => {
  const { logger, lines } = logLines('info')
  const { app } = await harness(t, { files: site(), options: { enabled: false }, fastify: { logger }, listen: false })

  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.notMatch(page.body, 'client.js')
  t.equal((await app.inject('/__livereload/client.js')).statusCode, 404)
  t.same(lines.filter(l => /live reload is off/.test(l.msg)).map(l => l.msg), ['live reload is off (enabled: false); only the static files are served'])
  app.liveReload.reload()
  app.liveReload.send({ type: 'clear' })
  t.equal(app.liveReload.clients, 0)
  t.match(app.liveReload.stats(), { instance: '', clients: 0, messages: 0, watched: [], builds: 0 })
  t.match(await app.liveReload.build(), { ok: true, sent: 'none' })
})

t.test('a missing root is a warning and the channel still works', async t => {
  const { app } = await harness(t, { files: {}, options: dir => ({ root: join(dir, 'not-built-yet') }), listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })
  t.match(app.liveReload.stats().watched, [/not-built-yet$/], 'awaited: watched once it is created')
  const reload = client.next('reload')
  app.liveReload.reload(['/x.html'])
  t.same(await reload, { type: 'reload', paths: ['/x.html'] })
})

t.test('reload and send refuse what is not a protocol message', async t => {
  const { app } = await harness(t, { listen: false })
  t.throws(() => app.liveReload.reload('/x' as never), { code: 'FST_LIVERELOAD_INVALID_MESSAGE' })
  t.throws(() => app.liveReload.send({ type: 'hello' } as never), { code: 'FST_LIVERELOAD_INVALID_MESSAGE' })
  t.throws(() => app.liveReload.send(null as never), { code: 'FST_LIVERELOAD_INVALID_MESSAGE' })
})

t.test('close with a client connected and a watcher running resolves, and closes the client (1001)', async t => {
  const { app } = await harness(t, { files: site(), listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })
  // The client never leaves on its own: close() resolves only if the server closes it.
  await app.close()
  t.same(await client.closed, { code: 1001, reason: 'server shutting down' })
  t.equal(app.liveReload.clients, 0)
})
