// A browser navigation that ends in a 404 or a 5xx without an HTML body gets a small HTML page
// that carries the client, so that a tab stranded there reconnects and the next reload brings
// it back. Everything else (fetch, APIs, HEAD semantics, the app's own pages) is left as it was.
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../types/index.js'
import { listen, testApp } from './helpers/app.js'
import { harness } from './helpers/harness.js'
import { rawGet } from './helpers/raw-http.js'

const TAG = '<script src="/__livereload/client.js" defer></script>'
/** What Chromium sends when a tab loads or reloads a page. */
const NAVIGATE = {
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-dest': 'document',
  'sec-fetch-site': 'none',
  'upgrade-insecure-requests': '1'
}
/** What Chromium sends for fetch('/api/...') from a page. */
const FETCH = { accept: '*/*', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' }

/** An app with the plugin serving a fixture root, a route that fails and `setup`'s own routes and handlers. */
async function app (t: Test, opts: LiveReloadOptions = {}, setup?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const files = { 'index.html': '<!doctype html><html><head></head><body>home</body></html>' }
  return (await harness(t, {
    files,
    options: opts,
    listen: false,
    setup: server => {
      setup?.(server)
      server.get('/fails', async () => { throw new Error(`cannot read ${process.cwd()}/src/page.md`) })
    }
  })).app
}

/** The same routes without the plugin: what Fastify answers on its own. */
async function bare (t: Test, setup?: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const server = testApp(t)
  setup?.(server)
  server.get('/fails', async () => { throw new Error(`cannot read ${process.cwd()}/src/page.md`) })
  return server
}

function count (text: string, part: string): number {
  return text.split(part).length - 1
}

/** Headers that say nothing about what the plugin did. */
function comparable (res: LightMyRequestResponse): Record<string, unknown> {
  const { date: _date, connection: _connection, ...headers } = res.headers
  return headers
}

/** The page's text, its places' editor links (data-livereload-file anchors) taken off. */
const withoutLinks = (body: string): string => body.replace(/<a data-livereload-file[^>]*>|<\/a>/g, '')

t.test('a JSON 404 stays byte for byte what Fastify sends, for an API client and for fetch()', async t => {
  const server = await app(t)
  const plain = await bare(t)
  for (const headers of [{ accept: 'application/json' }, FETCH, { ...FETCH, accept: 'text/html' }, { accept: '*/*' }, {}]) {
    const what = JSON.stringify(headers)
    const [res, expected] = await Promise.all([server.inject({ url: '/missing', headers }), plain.inject({ url: '/missing', headers })])
    t.equal(res.statusCode, 404, what)
    t.same(comparable(res), comparable(expected), `${what}: headers`)
    t.equal(res.body, expected.body, `${what}: body`)
  }
})

t.test('a JSON 500 stays what Fastify sends for a request that is not a navigation', async t => {
  const server = await app(t)
  const plain = await bare(t)
  const [res, expected] = await Promise.all([server.inject({ url: '/fails', headers: FETCH }), plain.inject({ url: '/fails', headers: FETCH })])
  t.equal(res.statusCode, 500)
  t.same(comparable(res), comparable(expected))
  t.equal(res.body, expected.body)
})

t.test('a navigation that ends in a 404 gets an HTML page with the client, status kept', async t => {
  const server = await app(t)
  const res = await server.inject({ url: '/missing/page.html?x=1', headers: NAVIGATE })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8$/)
  t.equal(count(res.body, TAG), 1, 'exactly one client tag')
  t.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body))
  t.match(res.body, /<title>404 Not Found<\/title>/)
  t.match(res.body, 'GET /missing/page.html?x=1')
  t.match(res.body, '<pre>Route GET:/missing/page.html?x=1 not found</pre>', 'what the app replied')
  t.match(res.headers['cache-control'], 'no-store', 'never cached: the page is back on the next build')
})

t.test('a navigation that ends in a 500 gets an HTML page with the error: message, place, code frame, stack', async t => {
  const server = await app(t, {}, app => {
    app.get('/template', async () => {
      // What a template engine throws: where in the template, and the lines around it.
      throw Object.assign(new Error('unexpected token "}}"'), { file: `${process.cwd()}/views/page.eta`, line: 3, column: 9, frame: '2 | <h1>\n3 | {{ it.title }}}\n  |         ^' })
    })
  })
  const res = await server.inject({ url: '/fails', headers: NAVIGATE })
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^text\/html/)
  t.equal(count(res.body, TAG), 1)
  t.match(res.body, /<title>500 Internal Server Error<\/title>/)
  t.match(res.body, 'cannot read src/page.md', 'the message, with the working directory taken off')
  t.notMatch(res.body, process.cwd(), 'no absolute path')
  t.match(withoutLinks(res.body), /<p>in <code>test\/navigation-page\.test\.ts:\d+:\d+<\/code><\/p>\n<pre>\s*\d+ \| [^<]*\n\s*\| +\^/, 'the place: the first frame in the app\'s own files, with its code frame')
  const stack = /<h2>Stack<\/h2>\n<pre>([^<]*)<\/pre>/.exec(withoutLinks(res.body))?.[1] ?? ''
  t.match(stack.split('\n')[0], /^at .*test\/navigation-page\.test\.ts:\d+:\d+/, 'the stack, the app\'s own frame first')
  t.notMatch(stack, 'node_modules', 'the frames of the app\'s own code only')
  t.match(withoutLinks(res.body), /<details><summary>All \d+ frames<\/summary>\n<pre>[^<]*node_modules[^<]*<\/pre>/, 'every frame, folded')
  t.match(res.body, /<p>in <code><a data-livereload-file="test\/navigation-page\.test\.ts" data-livereload-line="\d+" data-livereload-column="\d+" title="Open in your editor">/, 'the place is a link to the editor (openInEditor is on by default)')

  const template = await server.inject({ url: '/template', headers: NAVIGATE })
  t.match(template.body, '<pre>unexpected token &quot;}}&quot;</pre>')
  t.match(withoutLinks(template.body), '<p>in <code>views/page.eta:3:9</code></p>', 'where in the template')
  t.match(template.body, '<pre>2 | &lt;h1&gt;\n3 | {{ it.title }}}\n  |         ^</pre>', 'its code frame')

  const api = await server.inject({ url: '/template', headers: FETCH })
  t.match(api.headers['content-type'], /^application\/json/, 'a request that is not a navigation still gets JSON')
  t.equal(JSON.parse(api.body).message, 'unexpected token "}}"')
})

t.test('an empty or streamed 5xx becomes the page too', async t => {
  const server = await app(t, {}, s => {
    s.get('/empty', async (_request, reply) => await reply.code(502).send())
    s.get('/stream', async (_request, reply) => await reply.code(500).type('application/octet-stream').send(Readable.from([Buffer.from('raw bytes')])))
  })
  const empty = await server.inject({ url: '/empty', headers: NAVIGATE })
  t.equal(empty.statusCode, 502)
  t.equal(count(empty.body, TAG), 1)
  t.match(empty.body, '<title>502 Bad Gateway</title>')
  const streamed = await server.inject({ url: '/stream', headers: NAVIGATE })
  t.equal(streamed.statusCode, 500)
  t.equal(count(streamed.body, TAG), 1)
  t.notMatch(streamed.body, 'raw bytes', 'bytes that are not text are not shown')
})

t.test('a streamed reply (a proxied one) is read for what it says: when it is short and not compressed', async t => {
  const json = (text: string): Readable => Readable.from([Buffer.from(JSON.stringify({ message: text }))])
  const server = await app(t, {}, s => {
    s.get('/json', async (_request, reply) => await reply.code(500).type('application/json').send(json('the database is down')))
    s.get('/gzip', async (_request, reply) => await reply.code(500).type('application/json').header('content-encoding', 'gzip').send(Readable.from([gzipSync('{"message":"zipped"}')])))
    s.get('/long', async (_request, reply) => await reply.code(404).type('text/plain').send(Readable.from([Buffer.from('x'.repeat(20_000))])))
  })
  t.match((await server.inject({ url: '/json', headers: NAVIGATE })).body, '<pre>the database is down</pre>')
  const zipped = await server.inject({ url: '/gzip', headers: NAVIGATE })
  t.equal(zipped.statusCode, 500)
  t.equal(zipped.headers['content-encoding'], undefined, 'the page is not compressed')
  t.notMatch(zipped.body, 'zipped', 'compressed: not read')
  t.equal(count(zipped.body, TAG), 1)
  const long = await server.inject({ url: '/long', headers: NAVIGATE })
  t.equal(long.statusCode, 404)
  t.notMatch(long.body, 'xxxx', 'past 16 KiB: not shown')
  t.equal(count(long.body, TAG), 1)
})

t.test('an error with no frame in the app\'s own files, or not an Error at all: the page without a place', async t => {
  const server = await app(t, {}, s => {
    s.get('/library', async () => { throw Object.assign(new Error('from a library'), { stack: 'Error: from a library\n    at run (/srv/node_modules/lib/index.js:1:2)' }) })
    s.get('/gone', async () => { throw Object.assign(new Error('its file is gone'), { stack: `Error: its file is gone\n    at route (${process.cwd()}/routes/deleted.js:3:4)` }) })
  })
  const library = await server.inject({ url: '/library', headers: NAVIGATE })
  t.match(library.body, '<pre>from a library</pre>')
  t.notMatch(library.body, '<p>in <code>', 'no place: the one frame is a dependency\'s')
  const gone = await server.inject({ url: '/gone', headers: NAVIGATE })
  t.match(withoutLinks(gone.body), '<p>in <code>routes/deleted.js:3:4</code></p>\n<h2>', 'the place, without a code frame: the file cannot be read')
})

t.test('a browser that sends no Sec-Fetch headers is known by an Accept that prefers HTML', async t => {
  const server = await app(t)
  const html = await server.inject({ url: '/missing', headers: { accept: NAVIGATE.accept } })
  t.equal(html.statusCode, 404)
  t.equal(count(html.body, TAG), 1)
  const curl = await server.inject({ url: '/missing', headers: { accept: '*/*' } })
  t.match(curl.headers['content-type'], /^application\/json/)
})

t.test('the app\'s own not-found and error handlers: JSON becomes the page, HTML only gets the tag', async t => {
  const ownPage = '<!doctype html><html><head><title>Lost</title></head><body>our own 404</body></html>'
  const server = await app(t, {}, s => {
    s.setNotFoundHandler((request, reply) => {
      if (request.url.startsWith('/api/')) return reply.code(404).send({ gone: request.url })
      return reply.code(404).type('text/html').send(ownPage)
    })
    s.setErrorHandler((err: Error, _request, reply) => reply.code(503).send({ message: `wrapped: ${err.message}` }))
  })
  const own = await server.inject({ url: '/missing', headers: NAVIGATE })
  t.equal(own.statusCode, 404)
  t.equal(own.body, ownPage.replace('</head>', `${TAG}</head>`), 'the app\'s page, with the tag and nothing else')

  const api = await server.inject({ url: '/api/x', headers: NAVIGATE })
  t.equal(api.statusCode, 404)
  t.equal(count(api.body, TAG), 1)
  t.match(api.body, 'GET /api/x')
  t.match(api.body, '<pre>{&quot;gone&quot;:&quot;/api/x&quot;}</pre>', 'a 404 says what the app replied, as text')

  const failed = await server.inject({ url: '/fails', headers: NAVIGATE })
  t.equal(failed.statusCode, 503)
  t.equal(count(failed.body, TAG), 1)
  t.match(failed.body, /<title>503 Service Unavailable<\/title>/)
  t.match(failed.body, 'wrapped: cannot read src/page.md')
  t.match(failed.body, '</pre>\n<pre>cannot read src/page.md</pre>', 'what the route threw, after what the reply said')
})

t.test('routes opted out and responses the inject function refuses are left alone', async t => {
  const server = await app(t, { inject: request => !request.url.startsWith('/raw') }, s => {
    s.get('/quiet', { config: { liveReload: false } }, async () => { throw new Error('quiet') })
    s.get('/raw/fails', async () => { throw new Error('raw') })
  })
  const plain = await bare(t, s => {
    s.get('/quiet', async () => { throw new Error('quiet') })
    s.get('/raw/fails', async () => { throw new Error('raw') })
  })
  for (const url of ['/quiet', '/raw/fails', '/raw/missing']) {
    const [res, expected] = await Promise.all([server.inject({ url, headers: NAVIGATE }), plain.inject({ url, headers: NAVIGATE })])
    t.equal(res.statusCode, expected.statusCode, url)
    t.equal(res.body, expected.body, url)
    t.equal(res.headers['content-type'], expected.headers['content-type'], url)
  }
})

t.test('nothing changes with inject: false', async t => {
  const server = await app(t, { inject: false })
  const res = await server.inject({ url: '/missing', headers: NAVIGATE })
  t.match(res.headers['content-type'], /^application\/json/)
})

t.test('the channel routes under path keep their answers', async t => {
  const server = await app(t)
  const res = await server.inject({ url: '/__livereload/nothing-here', headers: NAVIGATE })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/json/)
})

t.test('HEAD of a navigation 404 says what GET would', async t => {
  const server = await app(t)
  const port = await listen(server)
  const get = await rawGet(port, '/missing', NAVIGATE)
  const head = await rawGet(port, '/missing', NAVIGATE, 'HEAD')
  t.equal(get.status, 404)
  t.equal(head.status, 404)
  t.equal(Number(get.headers['content-length']), Buffer.byteLength(get.body, 'latin1'))
  const { date: _getDate, ...getHeaders } = get.headers
  const { date: _headDate, ...headHeaders } = head.headers
  t.same(headHeaders, getHeaders)
  t.equal(head.body, '')
})

t.test('the URL is shown as text: no markup gets in through the path', async t => {
  const server = await app(t)
  const port = await listen(server)
  // Written byte for byte: a browser would percent-encode these, an attacker's client need not.
  for (const url of ['/<script>alert(1)</script>', '/%3Cscript%3Ealert(1)%3C/script%3E', '/"><img/src=x/onerror=alert(1)>', "/x?'><svg/onload=alert(1)>"]) {
    const res = await rawGet(port, url, NAVIGATE)
    t.equal(res.status, 404, url)
    t.equal(count(res.body, '<script'), 1, `${url}: the client tag is the only script`)
    t.notMatch(res.body, /<(img|svg)/, url)
    t.notMatch(res.body, /<script>alert/, url)
  }
  const res = await rawGet(port, '/<script>alert(1)</script>', NAVIGATE)
  t.match(res.body, 'GET /&lt;script&gt;alert(1)&lt;/script&gt;', 'shown, escaped')
})

t.test('the tag on the page carries the nonce of the response\'s policy', async t => {
  const server = await app(t, {}, s => {
    s.addHook('onRequest', async (_request, reply) => { reply.header('content-security-policy', "script-src 'nonce-r4nd0m'") })
  })
  const res = await server.inject({ url: '/missing', headers: NAVIGATE })
  t.equal(res.statusCode, 404)
  t.equal(count(res.body, '<script src="/__livereload/client.js" nonce="r4nd0m" defer></script>'), 1)
})
