import { once } from 'node:events'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import fastifyCompress from '@fastify/compress'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { nonceOf } from '../lib/inject/hooks.js'
import type { LiveReloadOptions } from '../types/index.js'
import { listen } from './helpers/app.js'
import { fetchRaw } from './helpers/raw-http.js'
import { harness } from './helpers/harness.js'

const TAG = '<script src="/__livereload/client.js" defer></script>'
const PAGE = '<!doctype html><html><head><title>é</title></head><body>' + 'x'.repeat(5000) + '</body></html>'

async function app (t: Test, opts: LiveReloadOptions = {}, setup?: (app: FastifyInstance) => Promise<void> | void) {
  const files = { 'index.html': PAGE, 'data.json': '{"html":"</body>"}', 'index.html.gz': gzipSync(PAGE), 'index.html.br': brotliCompressSync(PAGE) }
  return (await harness(t, { files, options: opts, setup, listen: false })).app
}

t.test('a static page gets the tag once with a byte-correct Content-Length', async t => {
  const server = await app(t)
  const res = await fetchRaw(server, '/index.html')
  t.equal(res.status, 200)
  t.equal(res.body.toString().split(TAG).length, 2)
  t.equal(Number(res.headers['content-length']), res.body.length)
  const head = await fetchRaw(server, '/index.html', {}, 'HEAD')
  t.equal(head.headers['content-length'], res.headers['content-length'], 'HEAD says what GET would')
})

t.test('string and Buffer routes get the tag, HEAD included', async t => {
  const server = await app(t, {}, s => {
    s.get('/s', (_q, r) => r.type('text/html; charset=utf-8').send(PAGE))
    s.get('/b', (_q, r) => r.type('text/html').send(Buffer.from(PAGE)))
  })
  for (const url of ['/s', '/b']) {
    const res = await fetchRaw(server, url)
    t.equal(res.body.toString().split(TAG).length, 2, url)
    t.equal(Number(res.headers['content-length']), res.body.length, `${url} length`)
    const head = await fetchRaw(server, url, {}, 'HEAD')
    t.equal(head.headers['content-length'], res.headers['content-length'], `${url} HEAD`)
  }
})

t.test('a string page sent again gets the bytes of its own content, each time', async t => {
  // Same length, other characters: the cache of pages sent before compares whole pages.
  let title = 'aa'
  let nonce = 'n1'
  const sent: unknown[] = []
  const server = await app(t, { root: false }, s => {
    s.get('/page', (_q, r) => r.type('text/html').send(`<html><head><title>${title}</title></head><body>${'x'.repeat(3000)}</body></html>`))
    s.get('/same', (_q, r) => r.type('text/html').send(PAGE))
    s.get('/csp', (_q, r) => r.type('text/html').header('content-security-policy', `script-src 'nonce-${nonce}'`).send(PAGE))
  })
  server.addHook('onSend', async (request, _reply, payload) => { if (request.url === '/same') sent.push(payload) }) // after the plugin's
  const expected = (name: string) => `<html><head><title>${name}</title>${TAG}</head><body>${'x'.repeat(3000)}</body></html>`
  for (const name of ['aa', 'aa', 'bb', 'aa', 'cc']) {
    title = name
    const res = await fetchRaw(server, '/page')
    t.equal(res.body.toString(), expected(name), `title ${name}`)
    t.equal(Number(res.headers['content-length']), res.body.length)
  }
  const first = await fetchRaw(server, '/same')
  const again = await fetchRaw(server, '/same')
  t.same(again.body, first.body, 'the same page, the same bytes')
  t.equal(sent.length, 2)
  t.ok(Buffer.isBuffer(sent[0]) && sent[0] === sent[1], 'made once: the second response sends the Buffer of the first')
  t.equal(first.body.toString(), PAGE.replace('</head>', `${TAG}</head>`))
  for (const value of ['n1', 'n2']) {
    nonce = value
    t.match((await fetchRaw(server, '/csp')).body.toString(), `nonce="${value}"`, 'a nonce page is made afresh')
  }
})

t.test('a string route gets the UTF-8 bytes of the page with the tag, whatever its characters', async t => {
  const pages: Record<string, string> = {
    ascii: `<html><head><title>x</title></head><body>${'a'.repeat(3000)}</body></html>`,
    latin1: PAGE,
    cjk: '<html><head><title>中文</title></head><body>漢字</body></html>',
    emoji: '<html><head><title>😀</title></head><body>😀</body></html>',
    'lone surrogates': '<html><head><title>\uD800</title></head><body>\uDC00x</body></html>',
    'after <body>, not ASCII': '<body class="ü">ü</body>',
    'the tag already there': `<html><head>${TAG}</head><body>é</body></html>`
  }
  const server = await app(t, { root: false }, s => {
    Object.values(pages).forEach((page, i) => s.get(`/${i}`, (_q, r) => r.type('text/html; charset=utf-8').send(page)))
  })
  for (const [i, [name, page]] of Object.entries(pages).entries()) {
    const url = `/${i}`
    const expected = page.includes(TAG) ? page : page.includes('</head>') ? page.replace('</head>', `${TAG}</head>`) : page.replace('">', `">${TAG}`)
    const res = await fetchRaw(server, url)
    t.same(res.body, Buffer.from(expected), `${name}: byte for byte`)
    t.equal(Number(res.headers['content-length']), res.body.length, `${name}: Content-Length`)
    const head = await fetchRaw(server, url, {}, 'HEAD')
    t.equal(head.headers['content-length'], res.headers['content-length'], `${name}: HEAD`)
  }
})

t.test('a streamed page keeps streaming: the first bytes arrive before the stream ends', async t => {
  let finish: (() => void) | undefined
  const server = await app(t, {}, s => {
    s.get('/stream', (_q, r) => {
      const body = new Readable({ read () {} })
      body.push('<html><head><title>x</title>')
      finish = () => { body.push('</head><body>late</body></html>'); body.push(null) }
      return r.type('text/html').send(body)
    })
  })
  const req = request({ port: await listen(server), host: '127.0.0.1', path: '/stream' })
  req.end()
  const [res] = await once(req, 'response')
  const [first] = await once(res, 'data')
  t.match(String(first), '<html><head><title>x</title>', 'first bytes before the end')
  const chunks: Buffer[] = [first]
  res.on('data', (c: Buffer) => chunks.push(c))
  const ended = once(res, 'end')
  finish?.()
  await ended
  t.equal(Buffer.concat(chunks).toString(), `<html><head><title>x</title>${TAG}</head><body>late</body></html>`)
})

t.test('non-HTML responses are untouched, byte for byte', async t => {
  const server = await app(t)
  const res = await fetchRaw(server, '/data.json')
  t.equal(res.body.toString(), '{"html":"</body>"}')
})

t.test('204 and 304 responses are untouched; a range of a page is the whole page, a range of anything else is as it was', async t => {
  const server = await app(t, {}, s => {
    s.get('/empty', (_q, r) => r.code(204).type('text/html').send())
    s.get('/media/clip', (q, r) => r.type('video/mp4').send(q.headers.range ?? 'none'))
  })
  t.equal((await fetchRaw(server, '/empty')).status, 204)
  const whole = PAGE.replace('</head>', `${TAG}</head>`)
  for (const url of ['/index.html', '/', '/index.html?x=1']) {
    const range = await fetchRaw(server, url, { range: 'bytes=150-', 'if-range': '"x"' })
    t.same([range.status, range.body.toString(), range.headers['accept-ranges']], [200, whole, undefined], `${url}: a range of the file is not one of the page: all of it, and no Accept-Ranges`)
  }
  const json = await fetchRaw(server, '/data.json', { range: 'bytes=0-5' })
  t.same([json.status, json.body.toString()], [206, '{"html'], 'a range of a file that is not a page: as @fastify/static gives it')
  const clip = await fetchRaw(server, '/media/clip', { range: 'bytes=0-1' })
  t.equal(clip.body.toString(), 'bytes=0-1', 'an app\'s own route, its URL a page\'s, keeps its Range: not a file of root')
  const page = await fetchRaw(server, '/index.html')
  const again = await fetchRaw(server, '/index.html', { 'if-none-match': page.headers.etag })
  t.equal(again.status, 304, 'the suffixed ETag still revalidates')
  t.equal(again.headers.etag, page.headers.etag)
  // A tab that cached the page before the plugin was on: its ETag has no suffix, and its date is the file's.
  const before = page.headers.etag.replace(/-lr[0-9a-f]{8}"$/, '"')
  const navigation = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
  for (const validators of [{ 'if-none-match': before }, { 'if-modified-since': new Date(Date.now() + 60_000).toUTCString() }] as Array<Record<string, string>>) {
    const revalidated = await fetchRaw(server, '/index.html', { ...navigation, ...validators })
    t.same([revalidated.status, revalidated.body.toString()], [200, whole], `a tab's ${Object.keys(validators)[0]} from before the plugin: the page with the client, not a 304`)
  }
  t.equal((await fetchRaw(server, '/data.json', { ...navigation, 'if-none-match': (await fetchRaw(server, '/data.json')).headers.etag })).status, 304, 'what is not a page keeps its 304')
})

t.test('injected pages are not cached stale: no-cache, no Last-Modified, a suffixed ETag', async t => {
  const server = await app(t)
  const res = await fetchRaw(server, '/index.html')
  t.equal(res.headers['cache-control'], 'no-cache')
  t.notOk(res.headers['last-modified'])
  t.match(res.headers.etag, /-lr[0-9a-f]{8}"$/)
  const stale = await fetchRaw(server, '/index.html', { 'if-none-match': res.headers.etag.replace(/-lr[0-9a-f]{8}"$/, '-lr00000000"') })
  t.equal(stale.status, 200, 'another tag: a fresh page')
})

t.test('pre-compressed files are decoded, injected and encoded again', async t => {
  const server = await app(t, { static: { preCompressed: true } })
  const gz = await fetchRaw(server, '/index.html', { 'accept-encoding': 'gzip' })
  t.equal(gz.headers['content-encoding'], 'gzip')
  t.equal(gunzipSync(gz.body).toString().split(TAG).length, 2)
  t.notOk(gz.headers['content-length'])
  const br = await fetchRaw(server, '/index.html', { 'accept-encoding': 'br' })
  t.equal(br.headers['content-encoding'], 'br')
  t.equal(brotliDecompressSync(br.body).toString().split(TAG).length, 2)
})

for (const order of ['before', 'after']) {
  t.test(`@fastify/compress registered ${order} the plugin compresses the injected page`, async t => {
    const { app: server } = await harness(t, {
      files: { 'index.html': PAGE },
      setup: async s => { if (order === 'before') await s.register(fastifyCompress, { threshold: 10 }) },
      listen: false
    })
    if (order === 'after') await server.register(fastifyCompress, { threshold: 10 })
    server.get('/route', (_q, r) => r.type('text/html').send(PAGE))
    // @fastify/compress hooks the routes declared after it: the static files of a plugin
    // registered before it stay uncompressed. Either way the page is whole, with one tag.
    const decode = (res: { headers: Record<string, string>, body: Buffer }) =>
      res.headers['content-encoding'] === 'gzip' ? gunzipSync(res.body) : res.headers['content-encoding'] === 'br' ? brotliDecompressSync(res.body) : res.body
    for (const url of ['/index.html', '/route']) {
      for (const encoding of ['gzip', 'br']) {
        const res = await fetchRaw(server, url, { 'accept-encoding': encoding })
        t.equal(decode(res).toString().split(TAG).length, 2, `${url} ${encoding}: ${res.headers['content-encoding'] ?? 'identity'}, once`)
      }
    }
    t.equal((await fetchRaw(server, '/route', { 'accept-encoding': 'gzip' })).headers['content-encoding'], 'gzip', 'routes are compressed')
  })
}

t.test('an unknown encoding passes through untouched', async t => {
  const server = await app(t, {}, s => {
    s.get('/zstd', (_q, r) => r.type('text/html').header('content-encoding', 'zstd').send(Buffer.from('opaque')))
  })
  t.equal((await fetchRaw(server, '/zstd')).body.toString(), 'opaque')
})

t.test('the CSP nonce goes on the tag; the nonce option wins', async t => {
  const server = await app(t, {}, s => {
    s.get('/csp', (_q, r) => r.type('text/html').header('content-security-policy', "default-src 'self'; script-src 'nonce-abc\"x'").send(PAGE))
  })
  const res = await fetchRaw(server, '/csp')
  t.match(res.body.toString(), '<script src="/__livereload/client.js" nonce="abc&#34;x" defer></script>')
  t.notOk(res.headers.etag)
  const other = await app(t, { root: false, nonce: () => 'given' }, s => { s.get('/', (_q, r) => r.type('text/html').send(PAGE)) })
  t.match((await other.inject('/')).body, 'nonce="given"')
})

t.test('nonceOf reads script-src-elem, then script-src, then default-src', async t => {
  t.equal(nonceOf("script-src-elem 'nonce-a'; script-src 'nonce-b'"), 'a')
  t.equal(nonceOf("default-src 'nonce-c'; script-src 'nonce-b'"), 'b')
  t.equal(nonceOf("default-src 'self' 'nonce-c'"), 'c')
  t.equal(nonceOf("script-src 'self'; default-src 'nonce-c'"), undefined, 'script-src without a nonce wins')
  t.equal(nonceOf(["img-src 'self'", "script-src 'nonce-d'"]), 'd')
  t.equal(nonceOf(undefined), undefined)
})

t.test('opt-outs: inject false, a predicate, route config, a download', async t => {
  const off = await app(t, { inject: false })
  t.notMatch((await off.inject('/index.html')).body, TAG)
  const some = await app(t, { root: false, inject: request => request.url !== '/no' }, s => {
    s.get('/no', (_q, r) => r.type('text/html').send(PAGE))
    s.get('/yes', (_q, r) => r.type('text/html').send(PAGE))
    s.get('/config', { config: { liveReload: false } }, (_q, r) => r.type('text/html').send(PAGE))
    s.get('/download', (_q, r) => r.type('text/html').header('content-disposition', 'Attachment; filename="page.html"').send(PAGE))
    s.get('/shown', (_q, r) => r.type('text/html').header('content-disposition', 'inline').send(PAGE))
  })
  t.notMatch((await some.inject('/no')).body, TAG)
  t.match((await some.inject('/yes')).body, TAG)
  t.notMatch((await some.inject('/config')).body, TAG)
  t.equal((await some.inject('/download')).body, PAGE, 'a download (Content-Disposition: attachment) is the file as it is')
  t.match((await some.inject('/shown')).body, TAG, 'inline is a page')
})

t.test('the 404 page of the app gets the tag', async t => {
  const server = await app(t, { root: false }, s => {
    s.setNotFoundHandler((_q, r) => r.code(404).type('text/html').send('<html><head></head><body>missing</body></html>'))
  })
  const res = await server.inject('/nowhere')
  t.equal(res.statusCode, 404)
  t.match(res.body, `${TAG}</head>`)
})
