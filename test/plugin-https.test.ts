// The plugin in an app that is already HTTPS, HTTP/2 (with HTTP/1.1 allowed), or plain-text
// HTTP/2 (h2c): nothing to configure. Pages are injected, the WebSocket channel (an HTTP/1.1
// upgrade) and the event stream (over HTTP/2 too) greet and reload on a file change.
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { connect, type ClientHttp2Session } from 'node:http2'
import { request } from 'node:https'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { harness } from './helpers/harness.js'

const PAGE = '<!doctype html><html><head><title>t</title></head><body><p>one</p></body></html>'
const TAG = '<script src="/__livereload/client.js" defer></script>'

const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
  keyType: 'ec',
  algorithm: 'sha256',
  extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]
})
const tls = { key: pems.private, cert: pems.cert }

/** A listening app of `options` with the plugin serving a fixture's index.html; its origin. */
async function served (t: Test, options: object, scheme: 'http' | 'https'): Promise<{ dir: string, origin: string }> {
  const { dir, port } = await harness(t, { files: { 'index.html': PAGE }, options: { enabled: true }, fastify: options })
  return { dir, origin: `${scheme}://127.0.0.1:${port}` }
}

/** GET / over HTTPS/1.1: the body. */
async function getHttps (origin: string): Promise<string> {
  const req = request(`${origin}/`, { ca: tls.cert })
  req.end()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  let body = ''
  for await (const chunk of res.setEncoding('utf8')) body += chunk as string
  return body
}

/** The channel over wss: resolves with its first message, then the next reload. */
async function webSocketChannel (t: Test, origin: string, dir: string): Promise<[unknown, unknown]> {
  const ws = new WebSocket(`${origin.replace('https', 'wss')}/__livereload`, { ca: tls.cert, headers: { origin } })
  t.teardown(() => ws.terminate())
  const messages: unknown[] = []
  let onMessage = (): void => {}
  ws.on('message', data => { messages.push(JSON.parse(String(data))); onMessage() })
  const next = async (type: string): Promise<unknown> => await new Promise(resolve => {
    onMessage = () => { const found = messages.find(m => (m as { type: string }).type === type); if (found !== undefined) resolve(found) }
    onMessage()
  })
  const hello = await next('hello')
  const reload = next('reload')
  writeFileSync(join(dir, 'index.html'), PAGE.replace('one', 'two'))
  return [hello, await reload]
}

/** An HTTP/2 session to `origin`; closed when `t` ends. */
async function session (t: Test, origin: string): Promise<ClientHttp2Session> {
  const client = connect(origin, { ca: tls.cert })
  t.teardown(() => client.destroy())
  await once(client, 'connect')
  return client
}

/** GET / over HTTP/2: the body. */
async function getH2 (client: ClientHttp2Session): Promise<string> {
  let body = ''
  for await (const chunk of client.request({ ':path': '/' }).setEncoding('utf8')) body += chunk as string
  return body
}

/** The event stream over HTTP/2: resolves with its hello, then the reload after an edit of index.html. */
async function eventStream (client: ClientHttp2Session, origin: string, dir: string): Promise<[string, string]> {
  const stream = client.request({ ':path': '/__livereload/events', origin }).setEncoding('utf8')
  let text = ''
  const event = async (type: string): Promise<string> => await new Promise(resolve => {
    const look = (): void => {
      const found = new RegExp(`event: ${type}\\ndata: (.*)\\n\\n`).exec(text)
      if (found !== null) { stream.off('data', onData); resolve(found[1]!) }
    }
    const onData = (chunk: string): void => { text += chunk; look() }
    stream.on('data', onData)
    look()
  })
  const hello = await event('hello')
  const reload = event('reload')
  writeFileSync(join(dir, 'index.html'), PAGE.replace('one', 'three'))
  const reloaded = await reload
  stream.close()
  return [hello, reloaded]
}

t.test('in an HTTPS app: the page is injected, the WebSocket channel over wss greets and reloads', async t => {
  const { dir, origin } = await served(t, { https: tls }, 'https')
  t.ok((await getHttps(origin)).includes(`${TAG}</head>`))
  const [hello, reload] = await webSocketChannel(t, origin, dir)
  t.match(hello, { type: 'hello' })
  t.same(reload, { type: 'reload', paths: ['/index.html'] })
})

t.test('in an HTTP/2 app with HTTP/1.1 allowed: the page over both, the WebSocket over HTTP/1.1, the event stream over HTTP/2', async t => {
  const { dir, origin } = await served(t, { http2: true, https: { allowHTTP1: true, ...tls } }, 'https')
  t.ok((await getHttps(origin)).includes(`${TAG}</head>`), 'HTTP/1.1')
  const client = await session(t, origin)
  t.equal(client.alpnProtocol, 'h2')
  t.ok((await getH2(client)).includes(`${TAG}</head>`), 'HTTP/2')
  const [hello, reload] = await webSocketChannel(t, origin, dir)
  t.match(hello, { type: 'hello' })
  t.same(reload, { type: 'reload', paths: ['/index.html'] })
  const [streamHello, streamReload] = await eventStream(client, origin, dir)
  t.match(JSON.parse(streamHello), { type: 'hello' })
  t.same(JSON.parse(streamReload), { type: 'reload', paths: ['/index.html'] })
})

t.test('in a plain-text HTTP/2 app (h2c, where no WebSocket can upgrade): the page, and the event stream greets and reloads', async t => {
  const { dir, origin } = await served(t, { http2: true }, 'http')
  const client = await session(t, origin)
  t.ok((await getH2(client)).includes(`${TAG}</head>`))
  const [hello, reload] = await eventStream(client, origin, dir)
  t.match(JSON.parse(hello), { type: 'hello' })
  t.same(JSON.parse(reload), { type: 'reload', paths: ['/index.html'] })
})
