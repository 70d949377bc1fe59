import { once } from 'node:events'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { writeFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { connectLiveReload } from '../lib/testing.js'
import type { LiveReloadOptions, ServerMessage } from '../types/index.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { logLines } from './helpers/log.js'
import { closeCode, frame, rawGet, rawRequest, rawUpgrade as upgrade, rawWebSocket } from './helpers/raw-http.js'

async function serve (t: Test, opts: LiveReloadOptions = {}) {
  const { logger, lines } = logLines('debug')
  const { app, port } = await harness(t, { options: opts, fastify: { logger } })
  return { app, port, lines }
}

t.test('a refused Origin gets 403 on the socket before any 101, and never enters the hub', async t => {
  const { app, port } = await serve(t, { allowedOrigins: ['https://ok.example'] })
  const refused = [
    'https://evil.example',
    `http://127.0.0.1:${port + 1}`, // same IP, another port: another origin
    `http://127.0.0.2:${port}`, // an IP address that is not the Host (CVE-2025-30360)
    `http://[::1]:${port}`,
    `http://localhost:${port}`, // a local name, but not the Host the page was loaded from
    `http://127.0.0.1.evil.example:${port}`,
    `http://127.0.0.1:${port}@evil.example`,
    'null',
    'file://',
    'file:///home/me/page.html',
    'javascript:alert(1)',
    'data:text/html,x',
    'chrome-extension://abcdef',
    'http://',
    'http://[::1',
    'not an origin',
    '*',
    `//127.0.0.1:${port}`
  ]
  for (const origin of refused) {
    const res = await upgrade(port, { Origin: origin })
    t.equal(res.status, 403, origin)
    t.notMatch(res.raw, /HTTP\/1\.1 101/, `${origin}: no 101 anywhere on the socket`)
    t.notMatch(res.raw.toLowerCase(), /sec-websocket-accept/, `${origin}: no handshake answer`)
  }
  t.equal(app.liveReload.clients, 0, 'no refused socket was ever added')
  for (const origin of [`http://127.0.0.1:${port}`, `HTTP://127.0.0.1:${port}`, 'https://ok.example']) {
    const res = await upgrade(port, { Origin: origin }, '/__livereload', 'HTTP/1.1')
    t.match(res.raw, /^HTTP\/1\.1 101 /, `${origin}: accepted`)
  }
  const twice = await rawRequest(port, `GET /__livereload/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n`)
  t.equal(twice.status, 403, 'two Origin headers (Node joins them) are refused')
  for (const origin of refused.slice(0, 8)) {
    t.equal((await rawGet(port, '/__livereload/status', { Origin: origin })).status, 403, `status: ${origin}`)
  }
})

t.test('the Host guard covers the channel, client.js and status alike', async t => {
  const { port } = await serve(t, { allowedHosts: ['dev.example.test', '.team.test'] })
  const allowed = ['localhost', `localhost:${port}`, `LOCALHOST:${port}`, `localhost.:${port}`, `app.localhost:${port}`,
    `127.0.0.1:${port}`, `127.0.0.2:${port}`, `[::1]:${port}`, '127.0.0.1',
    `10.1.2.3:${port}`, `[fd00::1]:${port}`, // a LAN address when bound to 0.0.0.0 or ::: an IP literal cannot be rebound `dev.example.test:${port}`,
    `team.test:${port}`, `a.b.team.test:${port}`]
  const rebinding = [`evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `evil-dev.example.test:${port}`,
    `example.test:${port}`, `xteam.test:${port}`, `localhostevil:${port}`, 'x'.repeat(4000)]
  const malformed = ['a b', '[::1', `localhost:${port}:1`, 'localhost:abc', `evil.example@localhost:${port}`, `localhost/x:${port}`,
    '2130706433', '0x7f.1', 'localhost:99999', '%6cocalhost', '[127.0.0.1]', `[0:0:0:0:0:0:0:1]:${port}`] // the last is not canonical: browsers send [::1]
  for (const [routeName, request] of [
    ['channel', (host: string) => upgrade(port, { Host: host })],
    ['client.js', (host: string) => rawRequest(port, `GET /__livereload/client.js HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)],
    ['status', (host: string) => rawRequest(port, `GET /__livereload/status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)]
  ] as const) {
    for (const host of allowed) t.match((await request(host)).status, routeName === 'channel' ? 101 : 200, `${routeName}: ${host} allowed`)
    for (const host of rebinding) t.equal((await request(host)).status, 403, `${routeName}: ${host} refused`)
    for (const host of malformed) t.equal((await request(host)).status, 400, `${routeName}: ${host.slice(0, 40)} malformed`)
  }
  const noHost = await rawRequest(port, 'GET /__livereload/status HTTP/1.0\r\n\r\n')
  t.equal(noHost.status, 400, 'no Host at all (HTTP/1.0)')
  t.match(noHost.body, 'missing or malformed Host header')
})

t.test('allowedHosts: true and allowedOrigins: true open the guard (documented escape hatches)', async t => {
  const { port } = await serve(t, { allowedHosts: true, allowedOrigins: true })
  t.equal((await rawRequest(port, 'GET /__livereload/status HTTP/1.1\r\nHost: evil.example\r\nOrigin: https://evil.example\r\nConnection: close\r\n\r\n')).status, 200)
})

t.test('header bytes that are not valid HTTP get a 400 and the server goes on serving', async t => {
  const { app, port } = await serve(t)
  const bad = [
    'GET /__livereload/status HTTP/1.1\r\nHost: local\x00host\r\nConnection: close\r\n\r\n',
    'GET /__livereload/status HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://a\x01b\r\nConnection: close\r\n\r\n',
    'GET /__livereload HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: \x7f\r\n\r\n',
    'GET /__livereload/status HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n',
    'GET /__livereload/status HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
    'GET /__livereload/status HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: \xff\xfe\r\nConnection: close\r\n\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' + 'x'.repeat(40) // a TLS ClientHello to the plain port
  ]
  for (const request of bad) {
    const res = await rawRequest(port, Buffer.from(request, 'latin1'))
    t.ok(res.status === 400 || res.status === 403, `${JSON.stringify(request.slice(0, 60))}: ${res.status}`)
  }
  t.equal((await app.inject('/__livereload/status')).statusCode, 200, 'still serving')
  t.equal(app.liveReload.clients, 0)
})

t.test('client.js refuses cross-site script includes, carries CORP, and nothing sends Access-Control-Allow-Origin', async t => {
  const { port } = await serve(t)
  const crossSite = await rawGet(port, '/__livereload/client.js', { 'Sec-Fetch-Site': 'cross-site', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'script' })
  t.equal(crossSite.status, 403)
  t.notMatch(crossSite.body, 'WebSocket', 'no byte of the client')
  const sameOrigin = await rawGet(port, '/__livereload/client.js', { 'Sec-Fetch-Site': 'same-origin', 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'script' })
  t.equal(sameOrigin.status, 200)
  t.equal(sameOrigin.headers['cross-origin-resource-policy'], 'same-origin')
  const probes: Array<[string, string, Record<string, string>]> = []
  for (const path of ['/__livereload', '/__livereload/client.js', '/__livereload/status', '/__livereload/events']) {
    for (const origin of ['https://evil.example', `http://127.0.0.1:${port}`]) {
      probes.push(['OPTIONS', path, { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-requested-with' }])
      // A same-origin GET of an event stream would stay open: those are the stream's own tests.
      if (path.endsWith('/events') && !origin.includes('evil')) continue
      probes.push(['GET', path, { Origin: origin }])
      probes.push(['HEAD', path, { Origin: origin }])
    }
  }
  for (const [method, path, headers] of probes) {
    const res = await rawGet(port, path, headers, method)
    t.notOk('access-control-allow-origin' in res.headers, `${method} ${path} from ${headers.Origin}: no Access-Control-Allow-Origin (${res.status})`)
    t.notOk('access-control-allow-credentials' in res.headers)
    if (method === 'OPTIONS') t.ok(res.status >= 400, `a preflight is never granted (${res.status})`)
  }
})

/** Waits for the server to end a raw socket (bounded: a failing defence must not hang the file). */
async function closedByServer (socket: import('node:net').Socket): Promise<boolean> {
  if (socket.destroyed) return true
  const timer = setTimeout(() => socket.destroy(new Error('still open after 5 s')), 5000)
  const [err] = await Promise.race([once(socket, 'close').then(() => [null]), once(socket, 'error')]) as [Error | null]
  clearTimeout(timer)
  return err === null || !/still open/.test(err.message)
}

t.test('an oversized frame is refused from its header (1009), before its payload is buffered', async t => {
  const { app, port } = await serve(t)
  const { socket, head, received } = await rawWebSocket(port)
  t.match(head, /^HTTP\/1\.1 101 /)
  socket.write(frame(0x1, Buffer.alloc(64, 'x'), { length: 10 * 1024 * 1024 }).subarray(0, 2 + 8 + 4 + 64)) // announces 10 MiB, sends 64 bytes
  t.ok(await closedByServer(socket), 'closed without waiting for the rest')
  t.equal(closeCode(received), 1009)
  t.equal(app.liveReload.clients, 0)
})

t.test('fragments whose total passes the limit are refused (1009) though each is small and none is final', async t => {
  const { port } = await serve(t)
  const { socket, received } = await rawWebSocket(port)
  socket.write(frame(0x1, Buffer.alloc(200, 'x'), { fin: false }))
  for (let i = 0; i < 20 && !socket.destroyed; i++) socket.write(frame(0x0, Buffer.alloc(200, 'y'), { fin: false }))
  t.ok(await closedByServer(socket))
  t.equal(closeCode(received), 1009)
})

t.test('invalid frames and garbage close that client only, with no unhandled error', async t => {
  const { app, port, lines } = await serve(t)
  const bystander = await connectLiveReload(app, { transport: 'socket' })
  const invalid: Array<[string, Buffer, number | null]> = [
    ['an unmasked client frame', frame(0x1, Buffer.from('hi'), { masked: false }), 1002],
    ['reserved bits set', frame(0x1, Buffer.from('hi'), { rsv: 0b111 }), 1002],
    ['an unknown opcode', frame(0x3, Buffer.from('hi')), 1002],
    ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0xc3, 0x28, 0xff])), 1007],
    ['a fragmented ping', frame(0x9, Buffer.from('hi'), { fin: false }), 1002],
    ['a ping over 125 bytes', frame(0x9, Buffer.alloc(200)), 1002],
    ['a continuation with nothing to continue', frame(0x0, Buffer.from('hi')), 1002],
    ['a close frame with an invalid code', frame(0x8, Buffer.from([0x03, 0xe7])), 1002],
    ['random garbage', Buffer.from('GET / HTTP/1.1\r\n\r\n\x00\xff\xfe garbage'.repeat(8), 'latin1'), null]
  ]
  for (const [name, bytes, code] of invalid) {
    const { socket, received } = await rawWebSocket(port)
    socket.write(bytes)
    t.ok(await closedByServer(socket), `${name}: closed`)
    if (code !== null) t.equal(closeCode(received), code, `${name}: ${code}`)
  }
  const { socket } = await rawWebSocket(port)
  socket.destroy() // a peer that vanishes mid-connection
  const reload = bystander.next('reload')
  app.liveReload.reload(['/still-here.html'])
  t.same(await reload, { type: 'reload', paths: ['/still-here.html'] }, 'the other client is unaffected')
  await eventually(() => app.liveReload.clients === 1, 5000, 'only the bystander left')
  t.ok(lines.filter(line => line.msg === 'client socket error').length >= invalid.length - 1, 'each error went to our listener (logged at debug)')
  await bystander.close()
})

t.test('messages carry no absolute path, no file contents and no environment data', async t => {
  const secretEnv = 'ENV-SECRET-51c0ffee'
  process.env.FLR_TEST_TOKEN = secretEnv
  t.teardown(() => { delete process.env.FLR_TEST_TOKEN })
  const dir = fixture(t, { src: { 'a.md': '# a' }, out: { 'index.html': '<p>FILE-CONTENTS-77</p>' } })
  const cwd = process.cwd()
  const home = homedir()
  let fail = true
  const { app } = await serve(t, {
    root: join(dir, 'out'),
    watch: join(dir, 'src'),
    buildOnStart: false,
    builder: () => {
      if (!fail) return { reload: 'auto' as const }
      const err = new Error(`cannot read ${join(dir, 'src', 'a.md')} (see ${join(home, 'projects', 'site', 'notes.txt')} and file://${join(cwd, 'x.js')})`)
      Object.assign(err, { file: join(dir, 'src', 'a.md'), frame: `at ${join(cwd, 'lib', 'x.js')}:1:1` })
      throw err
    }
  })
  const client = await connectLiveReload(app, { transport: 'socket' })
  const failed = client.next('error')
  await app.liveReload.build()
  const error = await failed
  t.ok(error.errors[0].stack !== undefined, 'the stack is there, made relative')
  fail = false
  const reload = client.next('reload')
  await writeFile(join(dir, 'out', 'index.html'), '<p>FILE-CONTENTS-78</p>')
  t.same((await reload).paths, ['/index.html'], 'URL paths only')
  const wire = JSON.stringify(client.messages)
  for (const secret of [cwd, home + '/', dir, 'FILE-CONTENTS', secretEnv]) t.notOk(wire.includes(secret), `no ${secret} on the wire`)
  t.match(wire, '~/projects/site/notes.txt', 'a path in the home directory is shown from ~')
  t.ok(client.messages.every((m: ServerMessage) => typeof m === 'object'))
  await client.close()
})

t.test('the other WebSocket routes of the app keep ws defaults (the frame bound is ours alone)', async t => {
  const { port } = await harness(t, {
    setup: async app => {
      await app.register((await import('@fastify/websocket')).default)
      app.get('/echo', { websocket: true }, socket => { socket.on('message', data => socket.send(String(data).length.toString())) })
    }
  })
  const echo = new WebSocket(`ws://127.0.0.1:${port}/echo`)
  await once(echo, 'open')
  const reply = once(echo, 'message')
  echo.send('x'.repeat(64 * 1024))
  t.equal(String((await reply)[0]), String(64 * 1024))
  echo.close()
})
