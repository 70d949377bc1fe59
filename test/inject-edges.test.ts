// The injector at its edges, on real sockets: bodies it cannot decode, HEAD of compressed
// files, UTF-16 pages, and the same result for a page whatever kind of payload carries it.
import { Readable } from 'node:stream'
import { brotliCompressSync, deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../types/index.js'
import { harness } from './helpers/harness.js'
import { fetchRaw } from './helpers/raw-http.js'
import type { Files } from './helpers/fixture.js'
import { logLines } from './helpers/log.js'

const TAG = '<script src="/__livereload/client.js" defer></script>'
const PAGE = '<!doctype html><html><head><title>é</title></head><body><p>x</p></body></html>'

async function site (t: Test, files: Files, opts: LiveReloadOptions = {}, setup?: (app: FastifyInstance) => void, logger?: object) {
  return (await harness(t, { files, options: opts, setup, fastify: logger === undefined ? {} : { logger }, listen: false })).app
}

/** A stream that hands out `bytes` in pieces of the given sizes, a piece per read. */
function chunked (bytes: Buffer, sizes: number[]): Readable {
  const pieces: Buffer[] = []
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length]!)
    pieces.push(bytes.subarray(at, at + size))
    at += size
  }
  return Readable.from(pieces, { objectMode: false })
}

t.test('HEAD of a pre-compressed page answers as GET would, not 500', async t => {
  const server = await site(t, { 'index.html': PAGE, 'index.html.gz': gzipSync(PAGE), 'index.html.br': brotliCompressSync(PAGE) }, { static: { preCompressed: true } })
  for (const encoding of ['gzip', 'br']) {
    const get = await fetchRaw(server, '/index.html', { 'accept-encoding': encoding })
    const head = await fetchRaw(server, '/index.html', { 'accept-encoding': encoding }, 'HEAD')
    t.equal(head.status, 200, `${encoding}: 200`)
    t.equal(head.headers['content-encoding'], encoding, `${encoding}: the encoding of GET`)
    t.equal(head.headers['content-length'], get.headers['content-length'], `${encoding}: the Content-Length of GET (none: re-encoded)`)
    t.equal(head.headers['cache-control'], get.headers['cache-control'], `${encoding}: the caching of GET`)
  }
})

t.test('HEAD of a page @fastify/compress encodes (registered first): no Content-Length of an encoded nothing', async t => {
  const server = await site(t, { 'index.html': PAGE.replace('<p>x</p>', '<p>x</p>'.repeat(200)) }, {}, async app => {
    await app.register((await import('@fastify/compress')).default, { threshold: 0 })
  })
  for (const encoding of ['br', 'gzip', 'deflate']) {
    const get = await fetchRaw(server, '/index.html', { 'accept-encoding': encoding })
    const head = await fetchRaw(server, '/index.html', { 'accept-encoding': encoding }, 'HEAD')
    // GET's length is that of the page encoded, which HEAD, with no page, cannot know: it says none (RFC 9110 lets it).
    t.same([head.status, head.headers['content-encoding'], head.headers['content-length']], [200, encoding, undefined], `${encoding}: GET's encoding, and no length (GET's: ${get.headers['content-length']})`)
    t.equal(head.body.length, 0)
  }
})

t.test('an empty or undecodable compressed body passes through untouched, with a debug log', async t => {
  const truncated = gzipSync(PAGE).subarray(0, 30)
  const log = logLines('debug')
  const server = await site(t, {
    'index.html': PAGE,
    'empty.html': PAGE,
    'empty.html.gz': '',
    'bad.html': PAGE,
    'bad.html.gz': 'not gzip at all',
    'cut.html': PAGE,
    'cut.html.gz': truncated
  }, { static: { preCompressed: true } }, app => {
    app.get('/route-bad', (_q, r) => r.type('text/html').header('content-encoding', 'br').send(Buffer.from('not brotli')))
    app.get('/route-empty', (_q, r) => r.type('text/html').header('content-encoding', 'deflate').send(Readable.from([])))
  }, log.logger)
  const cases: Array<[string, Buffer, string]> = [
    ['/empty.html', Buffer.alloc(0), 'gzip'],
    ['/bad.html', Buffer.from('not gzip at all'), 'gzip'],
    ['/cut.html', truncated, 'gzip'],
    ['/route-bad', Buffer.from('not brotli'), 'br'],
    ['/route-empty', Buffer.alloc(0), 'deflate']
  ]
  for (const [url, body, encoding] of cases) {
    const res = await fetchRaw(server, url, { 'accept-encoding': 'gzip, br, deflate' })
    t.equal(res.status, 200, `${url}: 200`)
    t.same(res.body, body, `${url}: the body as it was`)
    t.equal(res.headers['content-encoding'], encoding, `${url}: the encoding as it was`)
    if (res.headers['content-length'] !== undefined) t.equal(Number(res.headers['content-length']), res.body.length, `${url}: a true Content-Length`)
  }
  const skipped = log.lines.filter(line => line.level === 20 && /not injected/.test(line.msg))
  t.equal(skipped.length, cases.length, 'one debug line per body')
  t.ok(skipped.every(line => typeof line.encoding === 'string'), 'naming the encoding')
})

t.test('a body whose BOM says UTF-16 is left alone, whatever carries it', async t => {
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<html><head></head><body>é</body></html>', 'utf16le')])
  const be = Buffer.from(le)
  be.swap16()
  const server = await site(t, { 'le.html': le, 'be.html': be, 'gz.html': PAGE, 'gz.html.gz': gzipSync(le) }, { static: { preCompressed: true } }, app => {
    app.get('/buffer', (_q, r) => r.type('text/html').send(le))
    app.get('/stream', (_q, r) => r.type('text/html').send(chunked(be, [1, 3])))
  })
  for (const [url, body] of [['/le.html', le], ['/be.html', be], ['/buffer', le], ['/stream', be]] as const) {
    const res = await fetchRaw(server, url)
    t.same(res.body, body, `${url}: byte for byte`)
    if (res.headers['content-length'] !== undefined) t.equal(Number(res.headers['content-length']), res.body.length, `${url}: Content-Length`)
  }
  const gz = await fetchRaw(server, '/gz.html', { 'accept-encoding': 'gzip' })
  t.same(gunzipSync(gz.body), le, 'gzip: decoded, left alone')
})

t.test('a static page that holds the tag in <body> is left alone, as a string is', async t => {
  const page = `<html><head><title>x</title></head><body><p>x</p>${TAG}</body></html>`
  const server = await site(t, { 'index.html': page, 'big.html': page.replace('<p>x</p>', `<p>${'y'.repeat(200_000)}</p>`) }, {}, app => {
    app.get('/string', (_q, r) => r.type('text/html').send(page))
    app.get('/sized-stream', (_q, r) => r.type('text/html').header('content-length', Buffer.byteLength(page)).send(chunked(Buffer.from(page), [7])))
  })
  for (const url of ['/index.html', '/big.html', '/string', '/sized-stream']) {
    const res = await fetchRaw(server, url)
    t.equal(res.body.toString().split(TAG).length, 2, `${url}: one tag`)
    t.equal(Number(res.headers['content-length']), res.body.length, `${url}: Content-Length`)
    if (url.endsWith('.html')) continue // HEAD of a file carries no body to look into (docs/injection.md)
    const head = await fetchRaw(server, url, {}, 'HEAD')
    t.equal(head.headers['content-length'], res.headers['content-length'], `${url}: HEAD says what GET does`)
  }
})

t.test('every payload kind puts the tag in the same place', async t => {
  const pages = [
    '<html><p>x</p></html>\n',
    '<html><p>x</p></html><!-- after -->',
    '<p>fragment</p>',
    PAGE,
    '<body class="a"><p>x</p>',
    '<head><script>var s = \'</script\' + \'>\'; var t = "</head>"</script></head><body>',
    '<head><template></head><body></template></head><body>'
  ]
  const server = await site(t, {}, { root: false }, app => {
    pages.forEach((page, i) => {
      const bytes = Buffer.from(page)
      app.get(`/${i}/string`, (_q, r) => r.type('text/html').send(page))
      app.get(`/${i}/buffer`, (_q, r) => r.type('text/html').send(bytes))
      app.get(`/${i}/stream`, (_q, r) => r.type('text/html').send(chunked(bytes, [1, 5, 2])))
      app.get(`/${i}/sized`, (_q, r) => r.type('text/html').header('content-length', bytes.length).send(chunked(bytes, [3])))
      app.get(`/${i}/gzip`, (_q, r) => r.type('text/html').header('content-encoding', 'gzip').send(chunked(gzipSync(bytes), [4])))
      app.get(`/${i}/deflate`, (_q, r) => r.type('text/html').header('content-encoding', 'deflate').send(deflateSync(bytes)))
    })
  })
  for (const [i, page] of pages.entries()) {
    const expected = (await server.inject(`/${i}/string`)).rawPayload
    t.not(expected.indexOf(TAG), -1, `${i}: the string gets the tag`)
    for (const kind of ['buffer', 'stream', 'sized', 'gzip', 'deflate']) {
      const res = await server.inject({ url: `/${i}/${kind}`, headers: { 'accept-encoding': 'gzip, deflate' } })
      const body = kind === 'gzip' ? gunzipSync(res.rawPayload) : kind === 'deflate' ? inflateSync(res.rawPayload) : res.rawPayload
      t.same(body, expected, `${JSON.stringify(page)} as ${kind}`)
    }
  }
})

t.test('a web ReadableStream gets the tag; a Response object passes untouched, never a 500', async t => {
  const server = await site(t, {}, { root: false }, app => {
    const web = () => new ReadableStream({ start (controller) { controller.enqueue(new TextEncoder().encode(PAGE)); controller.close() } })
    app.get('/web', (_q, r) => r.type('text/html').send(web()))
    app.get('/response', (_q, r) => r.type('text/html').send(new Response(PAGE, { headers: { 'content-type': 'text/html' } })))
  })
  const web = await fetchRaw(server, '/web')
  t.equal(web.status, 200)
  t.equal(web.body.toString(), PAGE.replace('</head>', `${TAG}</head>`))
  const response = await fetchRaw(server, '/response')
  t.equal(response.status, 200)
  t.equal(response.body.toString(), PAGE)
})
