// The command over HTTPS (lib/cli/certificate.ts): a certificate made by mkcert or self-signed,
// or the user's own; HTTP/2 and HTTP/1.1 on one port; the channel, injection and --proxy over
// both. Real processes, sockets and files; the cache and mkcert's CA in temp directories.
import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect, type ClientHttp2Session } from 'node:http2'
import { createServer as createHttpsServer, request, type RequestOptions } from 'node:https'
import { X509Certificate } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { generate } from 'selfsigned'
import t, { type Test } from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { channelClient, runCommand, serveCommand, type Command } from './helpers/cli.js'
import { fixture, type Files } from './helpers/fixture.js'

// Three tests at a time: each runs commands of its own with certificates in directories of their
// own, and most of their time is spent waiting on those processes: one at a time, the file took
// 25 s for 11 s of CPU.
t.jobs = 3

const PAGE = '<!doctype html><html><head><title>t</title></head><body><p>one</p></body></html>'
const TAG = '<script src="/__livereload/client.js" defer></script>'

interface Fetched { httpVersion: string, status: number, body: string, fingerprint: string }

/** GET over HTTPS/1.1, trusting `ca` only. */
async function get (url: string, ca: string, options: RequestOptions = {}): Promise<Fetched> {
  const req = request(url, { ca, ...options })
  req.end()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return { httpVersion: res.httpVersion, status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), fingerprint }
}

/** An HTTP/2 session (ALPN h2) to `url`, trusting `ca`; closed when `t` ends. */
async function h2 (t: Test, url: string, ca: string): Promise<ClientHttp2Session> {
  const session = connect(url, { ca })
  t.teardown(() => session.destroy())
  await once(session, 'connect')
  return session
}

/** GET `path` on an HTTP/2 session: status and body. */
async function h2Get (session: ClientHttp2Session, path: string): Promise<{ status: number, body: string }> {
  const stream = session.request({ ':path': path })
  const [headers] = await once(stream, 'response') as [Record<string, unknown>]
  let body = ''
  for await (const chunk of stream.setEncoding('utf8')) body += chunk as string
  return { status: headers[':status'] as number, body }
}

/** The first event of the Server-Sent Events fallback, over HTTP/2. */
async function sseHello (session: ClientHttp2Session, origin: string): Promise<string> {
  const stream = session.request({ ':path': '/__livereload/events', origin, accept: 'text/event-stream' })
  let text = ''
  for await (const chunk of stream.setEncoding('utf8')) {
    text += chunk as string
    if (/\n\n$/.test(text) && text.includes('event: hello')) break
  }
  stream.close()
  return text
}

/** Ctrl-C, as a user stops it: it exits 0 (and writes its coverage, which a killed process never does). */
async function stop (t: Test, command: Command): Promise<void> {
  command.child.kill('SIGINT')
  t.equal(await command.exited, 0, 'Ctrl-C stops it')
}

/**
 * The test's directory (one a test: tap names it after the test), with `bin` (for PATH: no mkcert
 * there, the self-signed way), an empty `cache` (XDG_CACHE_HOME), and `files`.
 */
function place (t: Test, files: Record<string, unknown> = {}): { dir: string, env: NodeJS.ProcessEnv } {
  const dir = fixture(t, { bin: {}, cache: {}, ...files } as Files)
  return { dir, env: { PATH: join(dir, 'bin'), XDG_CACHE_HOME: join(dir, 'cache') } }
}

t.test('--https without mkcert: a self-signed certificate, kept mode 0600 and reused; HTTP/2 and HTTP/1.1 serve the page and the channel', async t => {
  const { dir: root, env } = place(t, { site: { 'index.html': PAGE } })
  const dir = join(root, 'site')
  const command = await serveCommand(t, [dir, '--https'], { env })
  t.match(command.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the URL is https')
  const made = await command.line(/HTTPS with a self-signed certificate \(made now, valid until .*\): /)
  await command.line(/browsers warn about it until you trust that file/)
  const certFile = join(env.XDG_CACHE_HOME!, 'fastify-livereload', 'self-signed', 'cert.pem')
  t.equal(resolve(/: (\S+)$/.exec(made)![1]!), certFile, 'the line names the file to trust')
  t.equal(statSync(join(certFile, '..', 'key.pem')).mode & 0o777, 0o600, 'the key is readable by its owner only')
  const ca = readFileSync(certFile, 'utf8')

  const page = await get(`${command.url}/`, ca)
  t.equal(page.httpVersion, '1.1')
  t.ok(page.body.includes(`${TAG}</head>`), 'HTTP/1.1: the page, injected (and the certificate trusted for 127.0.0.1)')
  t.equal((await get(`https://localhost:${new URL(command.url).port}/`, ca)).status, 200, 'and for localhost')

  const session = await h2(t, command.url, ca)
  t.equal(session.alpnProtocol, 'h2', 'HTTP/2 by ALPN')
  const h2Page = await h2Get(session, '/')
  t.equal(h2Page.status, 200)
  t.ok(h2Page.body.includes(`${TAG}</head>`), 'HTTP/2: the page, injected')
  t.match(await sseHello(session, command.url), /event: hello\ndata: \{"type":"hello"/, 'the event stream over HTTP/2')

  const client = await channelClient(t, command.url, { ca })
  t.match(client.messages[0], { type: 'hello' }, 'the WebSocket over wss')
  const reload = client.next('reload')
  writeFileSync(join(dir, 'index.html'), PAGE.replace('one', 'two'))
  t.same((await reload).paths, ['/index.html'])

  await stop(t, command) // with an HTTP/2 session, a WebSocket and an event stream open
  const again = await serveCommand(t, [dir, '--https'], { env })
  await again.line(/self-signed certificate \(reused, valid until/)
  t.equal((await get(`${again.url}/`, ca)).fingerprint, page.fingerprint, 'the same certificate, from the cache')
})

t.test('--https with mkcert: its certificate, signed by the CA in CAROOT, and the advice to install that CA', async t => {
  const { dir, env } = place(t, { 'index.html': PAGE, caroot: {} })
  const caroot = join(dir, 'caroot')
  const command = await serveCommand(t, [dir, '--https'], { env: { CAROOT: caroot, XDG_CACHE_HOME: env.XDG_CACHE_HOME } })
  await command.line(/HTTPS with mkcert's certificate for localhost, 127\.0\.0\.1, ::1, signed by its local CA/)
  await command.line(/warn {2}browsers warn about the certificate until you run `mkcert -install`/)
  const page = await get(`${command.url}/`, readFileSync(join(caroot, 'rootCA.pem'), 'utf8'))
  t.ok(page.body.includes(TAG), 'trusted through mkcert\'s CA alone, and injected')
  await stop(t, command)
})

t.test('a mkcert that fails stops the command with its message, exit code 1', async t => {
  const { dir, env } = place(t, { bin: { mkcert: '#!/bin/sh\necho "ERROR: no CA here" >&2\nexit 1\n' }, caroot: {} })
  chmodSync(join(dir, 'bin', 'mkcert'), 0o755)
  // CAROOT too: were the real mkcert reached instead, its CA would still stay out of the home directory
  const command = runCommand(t, [dir, '--https', '--port', '0'], { env: { ...env, PATH: `${env.PATH}:/bin:/usr/bin`, CAROOT: join(dir, 'caroot') } })
  t.equal(await command.exited, 1)
  t.match(command.stderr(), /mkcert failed: ERROR: no CA here/)
})

/** A certificate and key for localhost and 127.0.0.1, as files of `dir` (made if missing). */
async function certificateFiles (dir: string, notAfterDate?: Date): Promise<{ cert: string, key: string, pem: string }> {
  mkdirSync(dir, { recursive: true })
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...(notAfterDate === undefined ? {} : { notBeforeDate: new Date(notAfterDate.getTime() - 86_400_000), notAfterDate }),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]
  })
  writeFileSync(join(dir, 'cert.pem'), pems.cert)
  writeFileSync(join(dir, 'key.pem'), pems.private)
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), pem: pems.cert }
}

async function listening (server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

t.test('--cert and --key in proxy mode: the upstream\'s pages injected over HTTP/2 and HTTP/1.1, its WebSockets forwarded over wss', async t => {
  const { dir, env } = place(t, { watched: { 'view.html': 'v1' } })
  const files = await certificateFiles(join(dir, 'tls'))
  const upstream = createServer((req, res) => {
    // Two Content-Types (and two identical ETags) are fine over HTTP/1.1; HTTP/2 allows each once.
    if (req.url === '/twice') return res.writeHead(200, [['content-type', 'text/html'], ['content-type', 'text/plain'], ['etag', '"a"'], ['etag', '"a"']]).end(PAGE)
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE.replace('one', `upstream ${req.url}`))
  })
  const echo = new WebSocketServer({ server: upstream, path: '/echo' })
  echo.on('connection', ws => ws.on('message', data => ws.send(`echo ${String(data)}`)))
  const port = await listening(upstream)
  t.teardown(() => { echo.close(); upstream.closeAllConnections(); upstream.close() })
  const watched = join(dir, 'watched')

  const command = await serveCommand(t, ['--proxy', `127.0.0.1:${port}`, '--watch', watched, '--cert', files.cert, '--key', files.key], { env })
  t.match(command.url, /^https:/, '--cert implies HTTPS')
  await command.line(/HTTPS with your certificate .*cert\.pem \(for DNS:localhost, IP Address:127\.0\.0\.1\)/)
  const expected = PAGE.replace('one', 'upstream /a').replace('</head>', `${TAG}</head>`)
  t.equal((await get(`${command.url}/a`, files.pem)).body, expected, 'HTTP/1.1')
  const session = await h2(t, command.url, files.pem)
  t.equal((await h2Get(session, '/a')).body, expected, 'HTTP/2')
  const twice = await h2Get(session, '/twice')
  t.same([twice.status, twice.body], [200, PAGE.replace('</head>', `${TAG}</head>`)], 'a header repeated upstream: its first value, over HTTP/2')
  t.equal((await h2Get(session, '/a')).body, expected, 'and the command goes on')

  const ws = new WebSocket(`${command.url.replace('https', 'wss')}/echo`, { ca: files.pem })
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  ws.send('hi')
  const [reply] = await once(ws, 'message') as [Buffer]
  t.equal(String(reply), 'echo hi', 'the upstream\'s WebSocket, forwarded')

  const client = await channelClient(t, command.url, { ca: files.pem })
  const reload = client.next('reload')
  writeFileSync(join(watched, 'view.html'), 'v2')
  await reload
  t.pass('the channel stays with the command and reloads')
  await stop(t, command)
})

t.test('--proxy https://: the upstream\'s certificate is verified; --proxy-insecure takes a self-signed one', async t => {
  const { dir } = place(t, { watched: {} })
  const files = await certificateFiles(join(dir, 'upstream-tls'))
  const upstream = createHttpsServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE))
  const port = await listening(upstream as unknown as Server)
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const fetchPage = async (command: { url: string }): Promise<{ status: number, body: string }> => {
    const res = await fetch(`${command.url}/`)
    return { status: res.status, body: await res.text() }
  }
  const verified = await serveCommand(t, ['--proxy', `https://127.0.0.1:${port}`, '--watch', join(dir, 'watched')])
  const refused = await fetchPage(verified)
  t.ok(refused.status >= 500 && !refused.body.includes('<p>one</p>'), `a certificate no CA signed: ${refused.status}, not the page`)
  const insecure = await serveCommand(t, ['--proxy', `https://127.0.0.1:${port}`, '--proxy-insecure', '--watch', join(dir, 'watched')])
  t.same(await fetchPage(insecure), { status: 200, body: PAGE.replace('</head>', `${TAG}</head>`) }, 'with --proxy-insecure: the page, injected')
})

t.test('--cert and --key that cannot serve: exit 2 with a message naming the flag', async t => {
  const dir = fixture(t, { 'not-pem.txt': 'hello', 'huge.pem': 'x'.repeat(2 * 1024 * 1024) })
  const files = await certificateFiles(dir)
  const other = await certificateFiles(join(dir, 'other'))
  execFileSync('mkfifo', [join(dir, 'fifo')]) // nothing ever writes to it: a read would wait for ever
  for (const [args, message] of [
    [['--cert', files.cert], /--cert needs --key/],
    [['--key', files.key, '--https'], /--key needs --cert/],
    [['--cert', join(dir, 'missing.pem'), '--key', files.key], /--cert: cannot read ".*missing\.pem" \(ENOENT\)/],
    [['--cert', files.cert, '--key', dir], /--key: ".*" is not a regular file \(a directory\)/],
    [['--cert', join(dir, 'fifo'), '--key', files.key], /--cert: ".*fifo" is not a regular file \(a named pipe\)/],
    [['--cert', '/dev/zero', '--key', files.key], /--cert: "\/dev\/zero" is not a regular file \(a device\)/],
    [['--cert', join(dir, 'huge.pem'), '--key', files.key], /--cert: ".*huge\.pem" is longer than a PEM file can be \(1048576 bytes\)/],
    [['--cert', join(dir, 'not-pem.txt'), '--key', files.key], /--cert: ".*not-pem\.txt" is not a PEM certificate/],
    [['--cert', files.cert, '--key', join(dir, 'not-pem.txt')], /--key: ".*not-pem\.txt" is not a PEM private key/],
    [['--cert', files.cert, '--key', other.key], /--key: ".*key\.pem" is not the private key of the --cert certificate/]
  ] as Array<[string[], RegExp]>) {
    const command = runCommand(t, [dir, '--port', '0', ...args])
    t.equal(await command.exited, 2, args.join(' '))
    t.match(command.stderr(), message)
    t.match(command.stderr(), /Usage: fastify-livereload \[dir\]/)
  }
})

t.test('--https: a cached pair open to others, a CA certificate for more names, is not reused: a new one, kept privately, and a warning', async t => {
  const { dir, env } = place(t)
  const cached = join(env.XDG_CACHE_HOME!, 'fastify-livereload', 'self-signed')
  const planted = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }, { type: 2, value: '*.google.com' }] }]
  })
  mkdirSync(cached, { recursive: true })
  chmodSync(cached, 0o777)
  writeFileSync(join(cached, 'cert.pem'), planted.cert)
  writeFileSync(join(cached, 'key.pem'), planted.private, { mode: 0o644 })
  const command = await serveCommand(t, [dir, '--https'], { env })
  await command.line(/HTTPS with a self-signed certificate \(made now, /)
  await command.line(/warn {2}the cached certificate in .*self-signed was not reused, a new one was made: .*self-signed was open to other users \(mode 777; now 700\)$/)
  const x509 = new X509Certificate(readFileSync(join(cached, 'cert.pem')))
  t.same([x509.ca, x509.subjectAltName], [false, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'], 'a leaf, for the machine\'s names alone')
  t.same([statSync(cached).mode & 0o777, statSync(join(cached, 'key.pem')).mode & 0o777], [0o700, 0o600], 'kept privately')
  t.equal((await get(`${command.url}/`, x509.toString())).fingerprint, x509.fingerprint256, 'and served')
  await stop(t, command)
})

t.test('an expired certificate of yours serves all the same, with a warning', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const files = await certificateFiles(join(dir, 'tls'), new Date(Date.now() - 3_600_000))
  const command = await serveCommand(t, [dir, '--cert', files.cert, '--key', files.key])
  await command.line(/warn {2}your certificate expired on .*: browsers refuse it/)
  t.equal((await get(`${command.url}/`, files.pem, { rejectUnauthorized: false })).status, 200)
  await stop(t, command)
})

t.test('every interface over HTTPS: the network URLs are https, and the certificate covers them (the phone\'s URL)', async t => {
  const { dir, env } = place(t, { 'index.html': PAGE })
  const command = await serveCommand(t, [dir, '--https', '--host'], { env })
  t.match(command.url, /^https:\/\/localhost:\d+$/)
  await command.line(/warn {2}listening on every interface \(0\.0\.0\.0\)/)
  const ca = readFileSync(join(env.XDG_CACHE_HOME!, 'fastify-livereload', 'self-signed', 'cert.pem'), 'utf8')
  const x509 = new X509Certificate(ca)
  const networkUrls = command.lines.filter(line => line.includes('on your network:')).map(line => /(https:\/\/\S+)$/.exec(line)![1]!)
  for (const url of networkUrls) {
    t.ok(x509.checkIP(new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')), `${url}: its address is in the certificate`)
    t.equal((await get(`${url}/`, ca)).status, 200, `${url} serves, trusted`)
  }
  t.notOk(command.lines.some(line => /[█▀▄]/.test(line)), 'no QR code: stdout is not a terminal')
  await stop(t, command)
})

t.test('dev <entry> --https: the supervisor speaks HTTPS and HTTP/2, the app behind it plain HTTP, and it sees the browser\'s Host', async t => {
  const { dir, env } = place(t, {
    app: { 'app.mjs': "export default async function app (fastify) { fastify.get('/', async (request, reply) => reply.type('text/html').send('<html><head></head><body>' + request.headers.host + ' ' + request.headers['x-forwarded-proto'] + '</body></html>')) }\n" }
  })
  const command = runCommand(t, ['dev', join(dir, 'app', 'app.mjs'), '--port', '0', '--https'], { env })
  const url = /(https:\/\/\S+)$/.exec(await command.line(/with live reload at https:\/\//))![1]!
  const ca = readFileSync(join(env.XDG_CACHE_HOME!, 'fastify-livereload', 'self-signed', 'cert.pem'), 'utf8')
  const host = new URL(url).host
  t.equal((await h2Get(await h2(t, url, ca), '/')).body, `<html><head>${TAG}</head><body>${host} https</body></html>`, 'HTTP/2: the app\'s page, injected')
  t.equal((await get(`${url}/`, ca)).body, `<html><head>${TAG}</head><body>${host} https</body></html>`, 'HTTP/1.1')
  const client = await channelClient(t, url, { ca })
  t.match(client.messages[0], { type: 'hello' })
  await stop(t, command)
})
