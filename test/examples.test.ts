// Every example starts, answers one request with the client injected, and closes.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { createApp as basic } from '../examples/basic/server.js'
import { createApp as cluster } from '../examples/cluster/server.js'
import { createApp as docsSite } from '../examples/docs-site/server.js'
import { createApp as eleventy } from '../examples/eleventy/server.js'
import { createApp as markdownSite } from '../examples/markdown-site/server.js'
import { createApp as metrics } from '../examples/metrics/server.js'
import { createApp as ssrTemplates } from '../examples/ssr-templates/server.js'
import { createApp as sync } from '../examples/sync/server.js'
import { listen } from '../examples/listen.js'
import { channelClient } from './helpers/cli.js'
import { fixture, saveWhole } from './helpers/fixture.js'
import { eventually } from './helpers/eventually.js'
import { startRedis } from './helpers/redis.js'
import { withoutTrackerInThreads } from './helpers/threads.js'

// The docs site builds in worker threads; the Eleventy example's generator is a child process
// (a stand-in with Eleventy's watch mode and output: Eleventy itself is installed by its npm script).
withoutTrackerInThreads()

const TAG = '<script src="/__livereload/client.js" defer></script>'

t.test('examples/basic serves its site and its route with the client', async t => {
  const app = await basic({ logger: false })
  t.teardown(() => app.close())
  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.match(page.body, TAG)
  t.match((await app.inject('/hello')).body, TAG)
  t.equal((await app.inject('/img/logo.svg')).statusCode, 200)
})

t.test('examples/sync serves its page with the client that synchronizes, and answers its form', async t => {
  const app = await sync({ logger: false })
  t.teardown(() => app.close())
  t.match((await app.inject('/')).body, TAG)
  t.match((await app.inject('/__livereload/client.js')).body, '"join"', 'the client with synchronized browsing')
  const answer = await app.inject({ method: 'POST', url: '/subscribe', payload: 'name=<Ada>&topic=news&topic=releases', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.match(answer.body, 'Thanks, &#60;Ada&#62;')
  t.match(answer.body, 'Topics: news, releases.')
  t.match(answer.body, TAG)
})

t.test('examples/cluster joins its Redis, leads alone, builds its page and serves it', async t => {
  const redis = await startRedis(t)
  const out = fixture(t)
  const app = await cluster({ logger: false, redis: redis.url, out })
  t.teardown(() => app.close())
  await eventually(() => app.liveReload.stats().builds === 1, 20_000, 'the leader\'s first build')
  const page = await app.inject('/')
  t.equal(page.statusCode, 200)
  t.match(page.body, `Built by process <strong>${process.pid}</strong>`)
  t.match(page.body, TAG)
  t.match(app.liveReload.stats().cluster, { role: 'leader', processes: 1, redis: true })
})

t.test('examples/metrics serves the site, and the plugin\'s series on its own /metrics', async t => {
  const app = await metrics({ logger: false })
  t.teardown(() => app.close())
  t.match((await app.inject('/')).body, TAG)
  app.liveReload.reload()
  const scraped = await app.inject('/metrics')
  t.equal(scraped.statusCode, 200)
  t.match(scraped.body, 'fastify_livereload_clients{site="/__livereload",transport="websocket"} 0')
  t.match(scraped.body, 'fastify_livereload_messages_total{site="/__livereload",type="reload"} 1')
})

t.test('examples/markdown-site builds its pages on start and serves them', async t => {
  const out = fixture(t)
  const app = await markdownSite({ logger: false, out })
  t.teardown(() => app.close())
  const page = await app.inject('/guide/getting-started.html')
  t.equal(page.statusCode, 200)
  t.match(page.body, '<h1>Getting started</h1>')
  t.match(page.body, TAG)
  t.match(await readFile(join(out, 'style.css'), 'utf8'), 'font')
  t.match(app.liveReload.stats(), { builds: 1, failures: 0 })
})

t.test('examples/ssr-templates renders its view with the client', async t => {
  const app = await ssrTemplates({ logger: false })
  t.teardown(() => app.close())
  const page = await app.inject('/?name=tap')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'Hello, tap!')
  t.match(page.body, TAG)
  t.equal(app.liveReload.stats().watched.length, 1)
})

t.test('examples/docs-site generates its pages, builds them in shards and merges a sitemap and a search index', async t => {
  const dir = fixture(t)
  const app = await docsSite({ logger: false, out: join(dir, 'out'), content: join(dir, 'content'), cache: join(dir, 'cache'), pages: 60 })
  t.teardown(() => app.close())
  const home = await app.inject('/index.html')
  t.match(home.body, '<p>60 pages</p>')
  t.match(home.body, TAG)
  const page = await app.inject('/api/page-000.html')
  t.equal(page.statusCode, 200)
  t.match(page.body, /<h1>Api 1: /)
  t.equal(JSON.parse(await readFile(join(dir, 'out', 'search-index.json'), 'utf8')).length, 60)
  t.equal((await readFile(join(dir, 'out', 'sitemap.xml'), 'utf8')).match(/<url>/g)?.length, 61)
  t.match(app.liveReload.stats(), { builds: 1, failures: 0 })
})

t.test('examples/eleventy keeps its generator running, serves what it writes, and reloads per rebuild', async t => {
  const site = fixture(t, { content: { 'index.html': '<h1>Home</h1>\n' }, _site: {} })
  const generator = fileURLToPath(new URL('fixtures/builders/watch-generator.mjs', import.meta.url))
  const app = await eleventy({ logger: false, site, command: `"${process.execPath}" "${generator}" content _site --watch` })
  t.teardown(() => app.close())
  const client = await channelClient(t, `http://127.0.0.1:${String(await listen(app, { PORT: '0', HOST: '127.0.0.1' }))}`)
  t.match((await app.inject('/index.html')).body, '<h1>Home</h1>')
  t.match((await app.inject('/index.html')).body, TAG)
  await saveWhole(join(site, 'content/index.html'), '<h1>Edited</h1>\n') // one rebuild: no truncated source for the generator to build first
  await client.next('reload')
  t.match((await app.inject('/index.html')).body, '<h1>Edited</h1>')
})

t.test('the examples listen on PORT and HOST; a port in use is one line saying what to do, no stack', async t => {
  const free = await basic({ logger: false })
  const port = await listen(free, { PORT: '0', HOST: '127.0.0.1' })
  t.teardown(() => free.close())
  t.ok(typeof port === 'number' && port > 0, `PORT=0: a free port (${String(port)})`)

  const second = await basic({ logger: false })
  const said: string[] = []
  t.equal(await listen(second, { PORT: String(port), HOST: '127.0.0.1' }, line => said.push(line)), null, 'the same port: not bound')
  t.equal(said.length, 1)
  t.match(said[0], `Port ${port} on 127.0.0.1 is in use`)
  t.match(said[0], `PORT=${Number(port) + 1}, or PORT=0`)
  t.notMatch(said[0], /\n\s+at /, 'no stack')
})
