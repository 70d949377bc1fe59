// The command (lib/cli), spawned as users run it: a real process, real ports, real files.
import { once } from 'node:events'
import { chmodSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { createRequire } from 'node:module'
import { connect } from 'node:net'
import { dirname, join, sep } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import WebSocket, { WebSocketServer } from 'ws'
import { parseCommand, type CliOptions } from '../lib/cli/args.js'
import { createReport } from '../lib/cli/report.js'
import { createApp } from '../lib/cli/serve.js'
import { BIN, channelClient, joinPage, runCommand, serveCommand } from './helpers/cli.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { groupPids, isAlive, sleepingGroup } from './helpers/process.js'

// Three tests at a time: each runs commands (and upstreams) of its own on ports of their own, and
// most of their time is spent waiting on those processes, not computing: one at a time, the file
// took 64 s for 13 s of CPU.
t.jobs = 3

const PAGE = '<!doctype html><html><head><title>t</title></head><body><p>one</p></body></html>'
const TAG = '<script src="/__livereload/client.js" defer></script>'

/** GET `url`: status, headers and body (gunzipped when it says gzip). */
async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: IncomingHttpHeaders, body: string }> {
  const req = request(url, { headers })
  req.end()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const raw = Buffer.concat(chunks)
  const body = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
  return { status: res.statusCode!, headers: res.headers, body: body.toString('utf8') }
}

/** POST `body` to `url` with node:http (fetch refuses to send `Expect`); an `Expect: 100-continue` waits for the 100 as curl does. */
async function post (url: string, body: string, headers: Record<string, string>): Promise<{ status: number, body: string }> {
  const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } })
  if (headers.expect === undefined) req.end(body)
  else req.once('continue', () => req.end(body))
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  let text = ''
  for await (const chunk of res.setEncoding('utf8')) text += chunk as string
  return { status: res.statusCode!, body: text }
}

/** A WebSocket handshake to `url`: 101, or the status and body of the answer that refused it. */
async function upgrade (url: string): Promise<{ status: number, body: string }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'))
  ws.on('error', () => {})
  const answer = await Promise.race([
    once(ws, 'open').then(() => null),
    once(ws, 'unexpected-response').then(([, res]) => res as import('node:http').IncomingMessage)
  ])
  if (answer === null) {
    ws.terminate()
    return { status: 101, body: '' }
  }
  let body = ''
  for await (const chunk of answer.setEncoding('utf8')) body += chunk as string
  ws.terminate()
  return { status: answer.statusCode!, body }
}

async function listening (server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as { port: number }).port
}

/**
 * Node's own modules a command's process loaded, as it says them when it exits (a module written
 * into `dir`, which the command imports first): `env` for the command, and `list` of its stderr
 * once it has exited.
 */
function nodeModulesLoaded (dir: string): { env: NodeJS.ProcessEnv, list: (stderr: string) => string[] } {
  const said = join(dir, 'loaded.mjs')
  writeFileSync(said, 'process.on("exit", () => { process.stderr.write("loaded: " + process.moduleLoadList.join() + "\\n") })\n')
  return {
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(said).href}` },
    list: stderr => /^loaded: (.*)$/m.exec(stderr)?.[1]?.split(',') ?? []
  }
}

t.test('serves a directory: pages get the client, an edit reloads the browsers and is printed; Node\'s TLS, HTTP/2 and readline stay unloaded', async t => {
  // The command loads TLS and HTTP/2 on first use (scripts/build.js), and no builder (readline)
  // without a flag (lib/cli/serve.ts).
  const root = fixture(t, { site: { 'index.html': PAGE, css: { 'site.css': 'p{}' } } })
  const dir = join(root, 'site')
  const loaded = nodeModulesLoaded(root)
  const command = await serveCommand(t, [dir], { env: loaded.env })
  const page = await get(`${command.url}/`)
  t.equal(page.status, 200)
  t.ok(page.body.includes(`${TAG}</head>`), 'the client before </head>')
  t.equal(Number(page.headers['content-length']), Buffer.byteLength(page.body), 'Content-Length counts the tag')

  const client = await channelClient(t, command.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'index.html'), PAGE.replace('one', 'two'))
  t.same((await reload).paths, ['/index.html'])
  t.match(await command.line(/reload\s+\S*index\.html → 1 browser$/), /index\.html → 1 browser/, 'one line names the file and the browsers')

  const css = client.next('css')
  writeFileSync(join(dir, 'css', 'site.css'), 'p{color:red}')
  t.same((await css).paths, ['/css/site.css'])
  await command.line(/css\s+\S*css\/site\.css → 1 browser$/)

  command.child.kill('SIGINT')
  t.equal(await command.exited, 0)
  const list = loaded.list(command.stderr())
  t.ok(list.includes('NativeModule http'), 'the list of what was loaded came')
  for (const name of ['tls', 'https', 'http2', 'readline']) t.notOk(list.includes(`NativeModule ${name}`), `node:${name} not loaded: no flag asked for it`)
})

t.test('stopped (SIGTERM), the command leaves no --build or --run process behind, even one that ignores SIGTERM', async t => {
  for (const flag of ['--build', '--run']) {
    const dir = fixture(t, { src: {}, out: {} })
    const pidFile = join(dir, 'pids')
    // The shell ignores SIGTERM, and so does its `sleep`, which inherits that.
    const command = await serveCommand(t, ['out', ...(flag === '--build' ? ['--watch', 'src'] : []), flag, `trap '' TERM; ${sleepingGroup(pidFile)}`], { cwd: dir })
    const pids = await groupPids(pidFile)
    t.teardown(() => { for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL') })
    command.child.kill('SIGTERM')
    t.equal(await command.exited, 0)
    await eventually(() => pids.every(pid => !isAlive(pid)), 60_000, `${flag}'s shell and sleep gone`)
  }
})

t.test('its output sent to a file in the directory it serves (`> server.log`), the command does not reload on its own lines', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const free = createServer()
  const port = await listening(free)
  free.close()
  await once(free, 'close')
  const log = join(dir, 'server.log')
  const out = openSync(log, 'a')
  const child = spawn(process.execPath, [BIN, dir, '--port', String(port), '--strict-port'], { env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', out, 'ignore'] })
  closeSync(out)
  t.teardown(() => { child.kill('SIGKILL') })
  await eventually(() => readFileSync(log, 'utf8').includes('with live reload at'), 10_000, 'the command listening')
  const client = await channelClient(t, `http://127.0.0.1:${port}`)
  for (const page of ['index.html', 'other.html']) { // each reload is a line in server.log: had it counted, a reload naming it would come first
    const reload = client.next('reload')
    writeFileSync(join(dir, page), PAGE.replace('one', page))
    t.same((await reload).paths, [`/${page}`], `${page}'s reload, and only its`)
  }
  t.notOk(client.messages.some(message => JSON.stringify(message).includes('server.log')), 'no message named server.log')
})

t.test('--watch and --build: a failing build shows its error, the fix reloads', async t => {
  const dir = fixture(t, {
    src: { 'page.txt': 'one' },
    out: {},
    'build.cjs': `const fs = require('node:fs')
const text = fs.readFileSync('src/page.txt', 'utf8')
if (text.includes('bad')) { console.error('src/page.txt:1:1: error: bad input'); process.exit(1) }
fs.writeFileSync('out/index.html', '<html><head></head><body>' + text + '</body></html>')
`
  })
  const command = await serveCommand(t, ['out', '--watch', 'src', '--build', 'node build.cjs'], { cwd: dir })
  const client = await channelClient(t, command.url)

  const error = client.next('error')
  writeFileSync(join(dir, 'src', 'page.txt'), 'bad')
  const shown = await error
  t.match(JSON.stringify(shown), /bad input/, 'the build\'s output reaches the overlay')
  await command.line(/build failed: src\/page\.txt:1:1 /)

  const reload = client.next('reload')
  writeFileSync(join(dir, 'src', 'page.txt'), 'fixed')
  await reload
  await command.line(/built in \d+ ms, reload/)
  t.match((await get(`${command.url}/`)).body, /fixed/)
})

t.test('--spa: a page request that matches no file gets index.html; a missing asset stays a 404', async t => {
  const root = fixture(t, { site: { 'index.html': PAGE, 'app.js': 'x' }, outside: { 'secret.html': 'private' } })
  const dir = join(root, 'site')
  const command = await serveCommand(t, [dir, '--spa'])
  const route = await get(`${command.url}/users/42`, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })
  t.equal(route.status, 200)
  t.ok(route.body.includes(TAG) && route.body.includes('<p>one</p>'), 'index.html, injected')
  t.equal((await get(`${command.url}/missing.js`, { accept: '*/*' })).status, 404)
  t.equal((await get(`${command.url}/app.js`)).body, 'x', 'files are still served')

  // An index.html that is a link out of the directory is not served, as no such file is.
  rmSync(join(dir, 'index.html'))
  symlinkSync(join(root, 'outside', 'secret.html'), join(dir, 'index.html'))
  const linked = await get(`${command.url}/users/42`, { accept: 'text/html' })
  t.same([linked.status, linked.body.includes('private')], [404, false], 'index.html linked out: 404')
})

t.test('--proxy: an upstream\'s gzip HTML is injected, its WebSockets forwarded, watched files reload', async t => {
  const root = fixture(t, { watched: { 'view.html': 'v1' } })
  const watched = join(root, 'watched')
  let port = 0
  let busyAnswers = 0
  const upstream = createServer((req, res) => {
    if (req.url === '/api') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
    if (req.url === '/busy') return res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end(`busy ${++busyAnswers}`)
    if (req.url === '/upload') { // what reached the upstream of a body, and who it says sent it
      let bytes = 0
      req.on('data', (chunk: Buffer) => { bytes += chunk.length })
      return req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ bytes, forwarded: req.headers['x-forwarded-for'], proto: req.headers['x-forwarded-proto'] })))
    }
    if (req.url === '/old') return res.writeHead(302, { location: `http://127.0.0.1:${port}/new?x=1` }).end()
    if (req.url === '/away') return res.writeHead(302, { location: 'https://example.test/elsewhere' }).end()
    if (req.url === '/twice') return res.writeHead(302, { location: `http://127.0.0.1:${port}//evil.example/x` }).end()
    if (req.url === '/two-locations') return res.writeHead(302, [['location', '/a'], ['location', '/b']]).end()
    if (req.url?.startsWith('/bad?')) return res.writeHead(302, { location: decodeURIComponent(req.url.slice('/bad?'.length)) }).end()
    if (req.url === '/streamed') { // rendered as it goes: chunked, no Content-Length
      res.writeHead(200, { 'content-type': 'text/html' })
      res.write('<!doctype html><html><head><title>streamed</title>')
      return setImmediate(() => res.end('</head><body>late</body></html>'))
    }
    const page = gzipSync(PAGE.replace('one', 'from upstream'))
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': page.length }).end(page)
  })
  // It takes the second subprotocol a browser offers, and greets each socket before anything else
  // with what it was told of the browser.
  const echo = new WebSocketServer({ server: upstream, handleProtocols: protocols => protocols.has('chat.v2') ? 'chat.v2' : false })
  // /flood sends 1 MiB messages, each once the last is written, until closed (100 at most).
  let flooded = (_sent: number): void => {}
  const floodEnded = new Promise<number>(resolve => { flooded = resolve })
  echo.on('connection', (ws, req) => {
    if (req.url !== '/flood') {
      ws.send(`welcome, ${ws.protocol} from ${req.headers.origin} at ${req.headers['x-forwarded-for']}`)
      return ws.on('message', data => ws.send(`echo ${String(data)}`))
    }
    let sent = 0
    const next = (): void => { if (ws.readyState === WebSocket.OPEN && sent < 100) ws.send(Buffer.alloc(1024 * 1024), () => { sent++; next() }) }
    ws.on('close', () => flooded(sent))
    next()
  })
  port = await listening(upstream)
  t.teardown(() => { echo.close(); upstream.closeAllConnections(); upstream.close() })

  const loaded = nodeModulesLoaded(root)
  const command = await serveCommand(t, ['--proxy', `http://127.0.0.1:${port}`, '--watch', watched], { env: loaded.env })
  const page = await get(`${command.url}/`, { 'accept-encoding': 'gzip' })
  t.equal(page.headers['content-encoding'], 'gzip', 'still compressed')
  t.equal(page.body, PAGE.replace('one', 'from upstream').replace('</head>', `${TAG}</head>`), 'the upstream\'s page, injected')
  t.equal((await get(`${command.url}/api`)).body, '{"ok":true}', 'other responses untouched')
  const busy = await get(`${command.url}/busy`)
  t.same([busy.status, busy.body, busyAnswers], [503, 'busy 1', 1], 'a GET the upstream answers 503 is asked once, and its answer passed on: no retry that runs its route again')
  t.equal((await get(`${command.url}/old`)).headers.location, '/new?x=1', 'a redirect to the upstream itself stays on the proxy')
  t.equal((await get(`${command.url}/away`)).headers.location, 'https://example.test/elsewhere', 'one elsewhere is left alone')
  const body = 'x'.repeat(3 * 1024 * 1024)
  const uploads: Array<Record<string, string>> = [{ 'content-type': 'text/plain' }, { 'content-type': 'application/octet-stream', expect: '100-continue' }]
  for (const headers of uploads) {
    const res = await post(`${command.url}/upload`, body, { ...headers, 'x-forwarded-for': '6.6.6.6' })
    t.same([res.status, JSON.parse(res.body)], [200, { bytes: body.length, forwarded: '127.0.0.1', proto: 'http' }], `a 3 MiB body (${JSON.stringify(headers)}) reaches the upstream whole, from the real address`)
  }
  t.equal((await get(`${command.url}/twice`)).headers.location, '/.//evil.example/x', 'a path of two slashes stays a path, not another host')
  t.equal((await get(`${command.url}/two-locations`)).headers.location, '/a', 'two Locations: the first')
  for (const bad of ['http://[bad', 'https://a b/', 'http://']) {
    t.equal((await get(`${command.url}/bad?${encodeURIComponent(bad)}`)).headers.location, bad, `a Location that is no URL (${bad}) passes as it came`)
  }
  t.equal((await get(`${command.url}/streamed`)).body, `<!doctype html><html><head><title>streamed</title>${TAG}</head><body>late</body></html>`, 'a streamed page, injected')

  const ws = new WebSocket(`${command.url.replace('http', 'ws')}/echo`, ['chat.v1', 'chat.v2'], { headers: { origin: command.url, 'x-forwarded-for': '6.6.6.6' } })
  t.teardown(() => ws.terminate())
  const welcome = once(ws, 'message') // sent by the upstream with its 101: listened for before the browser's opens
  await once(ws, 'open')
  t.same([ws.protocol, String((await welcome)[0])], ['chat.v2', `welcome, chat.v2 from ${command.url} at 127.0.0.1`], 'the subprotocol the upstream chose, its first frame, and the browser\'s Origin and real address upstream')
  ws.send('hi')
  const [reply] = await once(ws, 'message') as [Buffer]
  t.equal(String(reply), 'echo hi', 'the upstream\'s WebSocket, forwarded')

  // A browser that stops reading a proxied WebSocket: the proxy does not buffer for it without end.
  const { port: commandPort } = new URL(command.url)
  const stuck = connect(Number(commandPort), '127.0.0.1')
  t.teardown(() => stuck.destroy())
  stuck.write(`GET /flood HTTP/1.1\r\nHost: 127.0.0.1:${commandPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  stuck.pause() // never reads
  const sent = await floodEnded
  t.ok(sent < 100, `the pair closed after ${sent} MiB of the upstream's 100, unread by the browser`)

  const client = await channelClient(t, command.url)
  const reload = client.next('reload')
  writeFileSync(join(watched, 'view.html'), 'v2')
  await reload
  t.pass('a watched file reloads')

  // The proxy's undici (reply-from's) is the only one: Node's own, which reading `globalThis.Headers` loads, stays out (scripts/build.js).
  command.child.kill('SIGINT')
  t.equal(await command.exited, 0)
  const list = loaded.list(command.stderr())
  t.ok(list.includes('NativeModule http'), 'the list of what was loaded came')
  t.notOk(list.includes('NativeModule internal/deps/undici/undici'), 'Node\'s own undici not loaded')
})

t.test('--proxy pointed at its own port: each request answers 508, once, and the command goes on', async t => {
  const free = createServer()
  const port = await listening(free)
  free.close()
  await once(free, 'close')
  const command = await serveCommand(t, ['--port', String(port), '--strict-port', '--proxy', `http://127.0.0.1:${port}`])
  const page = await get(`${command.url}/`)
  t.same([page.status, page.body], [508, 'Loop detected: the proxy\'s upstream is this server itself'])
  t.equal((await upgrade(`${command.url}/socket`)).status, 508, 'a WebSocket upgrade: the 508 of the second hop, passed on')
  t.equal((await fetch(`${command.url}/__livereload/status`)).status, 200, 'the command still answers')
})

/**
 * The --proxy-timeout of the timeout tests: what must time out waits it out, and what must be
 * answered (the upstream is this process, which a loaded machine may keep off a CPU for hundreds
 * of milliseconds) is answered well within it. A loaded run's Node 24 lane had the stalling
 * upstream's headers miss 1500 ms (the page got the 504): twice that.
 */
const PROXY_TIMEOUT_MS = 3000

t.test('--proxy-timeout: an upstream that sends nothing gets a 504 page with the client; a response that stalls is cut short; each in a line', async t => {
  const upstream = createServer((req, res) => {
    if (req.url !== '/stall') return // never answered
    res.writeHead(200, { 'content-type': 'text/html' })
    res.write('<html><head></head><body>begun') // and nothing more
  })
  const port = await listening(upstream)
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const command = await serveCommand(t, ['--proxy', `127.0.0.1:${port}`, '--proxy-timeout', String(PROXY_TIMEOUT_MS), '--watch', fixture(t, {})])

  const page = await get(`${command.url}/hang`, { accept: 'text/html' })
  t.equal(page.status, 504)
  t.ok(page.body.includes(TAG) && page.body.includes(`http://127.0.0.1:${port} sent no response within ${PROXY_TIMEOUT_MS} ms`), 'a page that says why, with the client: the tab reloads on the next change')
  await command.line(new RegExp(`warn {2}GET /hang → 504: http://127\\.0\\.0\\.1:${port} sent no response within ${PROXY_TIMEOUT_MS} ms$`))

  const req = request(`${command.url}/stall`)
  req.end()
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  t.equal(res.statusCode, 200, 'the upstream\'s headers came')
  let body = ''
  res.on('data', (chunk: Buffer) => { body += String(chunk) })
  await new Promise(resolve => res.on('error', () => {}).once('close', resolve)) // the error ("aborted") is what is asserted below
  t.same([res.complete, body.endsWith('begun')], [false, true], 'what came, then the response cut short: the browser knows the page is incomplete')
  await command.line(/warn {2}GET \/stall: http:\/\/127\.0\.0\.1:\d+ sent nothing for \d+ ms in the middle of its response: response cut short$/)
})

t.test('--proxy: a WebSocket upgrade gets the upstream\'s answer: its refusal, 502 for garbage, 504 within --proxy-timeout for silence', async t => {
  const upstream = createServer()
  const sockets = new Set<import('node:stream').Duplex>()
  upstream.on('upgrade', (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex) => {
    sockets.add(socket.on('error', () => {}))
    if (req.url === '/refuse') socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\n\r\nnot you')
    if (req.url === '/garbage') socket.end('garbage\r\n\r\n')
  }) // /hang: never answered
  const port = await listening(upstream)
  t.teardown(() => { for (const socket of sockets) socket.destroy(); upstream.close() })
  const command = await serveCommand(t, ['--proxy', `127.0.0.1:${port}`, '--proxy-timeout', String(PROXY_TIMEOUT_MS), '--watch', fixture(t, {})])
  const ws = command.url.replace('http', 'ws')
  t.same(await upgrade(`${ws}/refuse`), { status: 403, body: 'not you' }, 'the upstream\'s refusal, as it came')
  t.match(await upgrade(`${ws}/garbage`), { status: 502, body: /failed the WebSocket handshake/ })
  await command.line(/warn {2}GET \/garbage \(WebSocket\) → 502: http:\/\/127\.0\.0\.1:\d+ failed the WebSocket handshake: /)
  t.same(await upgrade(`${ws}/hang`), { status: 504, body: `http://127.0.0.1:${port} sent no answer to the WebSocket handshake within ${PROXY_TIMEOUT_MS} ms` })
  await command.line(/warn {2}GET \/hang \(WebSocket\) → 504: /)
})

t.test('--proxy in front of python3 -m http.server', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const free = createServer()
  const port = await listening(free)
  free.close()
  // -u: unbuffered, so its "Serving HTTP on …" line, printed once it listens, arrives at once
  const python = spawn('python3', ['-u', '-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => python.kill('SIGKILL'))
  let printed = ''
  await new Promise<void>((resolve, reject) => {
    python.stdout.setEncoding('utf8').on('data', (chunk: string) => { if ((printed += chunk).includes('Serving HTTP')) resolve() })
    python.once('exit', code => reject(new Error(`python3 exited (${code}): ${printed}`)))
  })
  const command = await serveCommand(t, ['--proxy', `127.0.0.1:${port}`, '--watch', dir])
  const page = await get(`${command.url}/index.html`)
  t.equal(page.status, 200, `${command.lines.join('\n')}\npython3: ${printed}, exit code ${python.exitCode}`)
  t.ok(page.body.includes(`${TAG}</head>`), 'injected')
  t.equal(Number(page.headers['content-length']), Buffer.byteLength(page.body), 'its Content-Length counts the tag')
})

t.test('the server\'s code runs from a code cache the first start wrote as it ended: private to the user, reused, one per build, place and Node, the four used last kept', async t => {
  const root = fixture(t, { site: { 'index.html': PAGE }, caches: {}, app: { 'package.json': '{ "type": "module" }', 'app.js': 'export default async function app () {}\n' } })
  const [site, caches] = [join(root, 'site'), join(root, 'caches')]
  const env = { NODE_COMPILE_CACHE: caches }
  const serveOnce = async (bin?: string): Promise<void> => {
    const command = runCommand(t, [site, '--port', '0'], { env, bin })
    const url = (await command.line(/with live reload at /)).match(/http:\/\/\S+/)![0]
    t.match((await get(`${url}/index.html`)).body, TAG)
    command.child.kill('SIGINT')
    t.equal(await command.exited, 0)
  }
  await serveOnce()
  const dir = join(caches, `fastify-livereload-${process.getuid!()}`)
  const [name, ...more] = readdirSync(dir)
  t.same(more, [], 'one cache')
  t.match(name, new RegExp(`^[0-9a-f]{16}-serve-[0-9a-f]{8}-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`), 'named by the build, the kind of start, its place, the Node and the machine')
  t.equal(statSync(dir).mode & 0o777, 0o700, 'a directory only its user reads')
  t.equal(statSync(join(dir, name!)).mode & 0o777, 0o600)
  const written = readFileSync(join(dir, name!))
  // Other builds' caches (other installs, other clones), each last used a day before the next.
  const day = 86_400
  const others = [1, 2, 3, 4].map(n => `000000000000000${n}-${process.version}-${process.arch}.v8`)
  others.forEach((other, n) => {
    writeFileSync(join(dir, other), 'another build\'s')
    utimesSync(join(dir, other), (n + 1) * day, (n + 1) * day)
  })
  utimesSync(join(dir, name!), 1, 1)

  await serveOnce()
  t.same(readFileSync(join(dir, name!)), written, 'taken as it was: not written again')
  t.ok(statSync(join(dir, name!)).mtimeMs > 5 * day * 1000, 'and marked as used now')
  t.same(readdirSync(dir).sort(), [...others, name].sort(), 'the other builds\' left alone')

  writeFileSync(join(dir, name!), 'not a cache')
  await serveOnce()
  t.not(readFileSync(join(dir, name!), 'utf8'), 'not a cache', 'a cache V8 refused is written anew')
  t.same(readdirSync(dir).sort(), [...others.slice(1), name].sort(), 'and of the other builds\', the three used last stay')

  const dev = runCommand(t, ['dev', join(root, 'app', 'app.js'), '--port', '0'], { env })
  await dev.line(/with live reload at /)
  dev.child.kill('SIGINT')
  t.equal(await dev.exited, 0)
  t.same(readdirSync(dir).sort(), [...others.slice(2), name, name!.replace('-serve-', '-dev-')].sort(), 'dev\'s start writes one of its own, and the oldest other build\'s goes')

  // The same build installed elsewhere: with the first place's cache, Node 20 named the first place's file in its stack traces.
  const elsewhere = join(root, 'elsewhere')
  cpSync(dirname(BIN), join(elsewhere, 'dist'), { recursive: true })
  cpSync(join(dirname(BIN), '..', 'package.json'), join(elsewhere, 'package.json'))
  symlinkSync(join(dirname(BIN), '..', 'node_modules'), join(elsewhere, 'node_modules'))
  await serveOnce(join(elsewhere, 'dist', 'cli.js'))
  const [placed] = readdirSync(dir).filter(file => ![...others, name, name!.replace('-serve-', '-dev-')].includes(file))
  t.equal(placed?.replace(/-serve-[0-9a-f]{8}-/, '-serve-'), name!.replace(/-serve-[0-9a-f]{8}-/, '-serve-'), 'the same build elsewhere writes a cache of its own place')
  t.not(placed, name)

  rmSync(dir, { recursive: true })
  mkdirSync(dir, { mode: 0o777 })
  chmodSync(dir, 0o777) // whatever the umask
  await serveOnce()
  t.same(readdirSync(dir), [], 'none in a directory others may write: a cache is code')
})

t.test('--open opens the URL in the browser xdg-open finds ($BROWSER), even in CI', async t => {
  const root = fixture(t, { site: { 'index.html': PAGE }, 'browser.sh': '#!/bin/sh\necho "$1" > "$(dirname "$0")/opened"\n' })
  chmodSync(join(root, 'browser.sh'), 0o755)
  const command = runCommand(t, [join(root, 'site'), '--port', '0', '--open'], { env: { BROWSER: join(root, 'browser.sh'), DISPLAY: '', WAYLAND_DISPLAY: '', XDG_CURRENT_DESKTOP: '' } })
  const url = (await command.line(/with live reload at /)).match(/http:\/\/\S+/)![0]
  await eventually(() => existsSync(join(root, 'opened')), 10_000, 'the browser to be started')
  t.equal(readFileSync(join(root, 'opened'), 'utf8').trim(), url)
  t.notMatch(command.lines.join('\n'), /could not open a browser/)
})

t.test('a busy port moves to the next one and says so; --strict-port fails, exit code 1', async t => {
  const busy = createServer()
  const port = await listening(busy)
  t.teardown(() => busy.close())
  const dir = fixture(t, { 'index.html': PAGE })
  const moved = runCommand(t, [dir, '--port', String(port)])
  const line = await moved.line(/with live reload at/)
  t.notMatch(line, new RegExp(`:${port}$`))
  await moved.line(new RegExp(`port ${port} is in use: using \\d+`))

  const strict = runCommand(t, [dir, '--port', String(port), '--strict-port'])
  t.equal(await strict.exited, 1)
  t.match(strict.lines.join('\n'), new RegExp(`port ${port} is in use: choose another with --port`))
})

t.test('bad flags exit 2 with a message naming them and the usage line', async t => {
  for (const [args, message] of [
    [['--prot', '80'], /unknown option --prot/],
    [['--port', 'eighty'], /--port takes a port from 0 to 65535, got "eighty"/],
    [['--port'], /--port needs a value/],
    [['--build', 'make'], /--build needs --watch/],
    [['--proxy', 'ftp://x'], /--proxy takes an http:\/\/ or https:\/\/ URL/],
    [['--poll', '5'], /poll/],
    [['a', 'b'], /one directory at most/],
    [['dev', 'missing.js'], /^fastify-livereload: option "entry" must be the app's module; "\S*missing\.js" does not exist$/m]
  ] as Array<[string[], RegExp]>) {
    const command = runCommand(t, args)
    t.equal(await command.exited, 2, args.join(' '))
    t.match(command.stderr(), message)
    t.notMatch(command.stderr(), /fastify-livereload: fastify-livereload:/, 'the command\'s name once')
    t.match(command.stderr(), /Usage: fastify-livereload \[dir\]/)
  }
})

t.test('--help and --version', async t => {
  const help = runCommand(t, ['--help'])
  t.equal(await help.exited, 0)
  t.match(help.lines.join('\n'), /--proxy <url>/)
  const version = runCommand(t, ['--version'])
  t.equal(await version.exited, 0)
  t.match(version.lines[0], /^\d+\.\d+\.\d+/)
})

t.test('Ctrl-C ends open sockets, kills a running build\'s processes and exits 0', async t => {
  const dir = fixture(t, { src: { 'a.txt': 'a' }, out: { 'index.html': PAGE } })
  const pidFile = join(dir, 'pids')
  writeFileSync(join(dir, 'build.sh'), `sleep 300 & echo "$$ $!" > ${JSON.stringify(pidFile)}; wait\n`)
  const command = await serveCommand(t, ['out', '--watch', 'src', '--build', 'sh build.sh'], { cwd: dir })
  const client = await channelClient(t, command.url)
  const [shell, sleeper] = await groupPids(pidFile, 15_000) // the first build, run once listening
  const closed = once(client.ws, 'close')
  command.child.kill('SIGINT')
  t.equal(await command.exited, 0)
  await closed
  t.notOk(isAlive(shell) || isAlive(sleeper), 'the build\'s shell and its child are gone')
})

t.test('--ignore leaves a path alone; --poll watches by polling', async t => {
  const dir = fixture(t, { 'index.html': PAGE, 'draft.html': PAGE })
  const command = await serveCommand(t, [dir, '--ignore', 'draft.html', '--ignore', '/\\.tmp$/', '--poll', '100'])
  const client = await channelClient(t, command.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'draft.html'), 'ignored')
  writeFileSync(join(dir, 'x.tmp'), 'ignored')
  writeFileSync(join(dir, 'index.html'), PAGE.replace('one', 'two'))
  t.same((await reload).paths, ['/index.html'], 'only the page that is not ignored')
})

t.test('--livereload in proxy mode: protocol 7 on /livereload stays with the command', async t => {
  const upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream'))
  const port = await listening(upstream)
  t.teardown(() => { upstream.closeAllConnections(); upstream.close() })
  const watched = fixture(t, { 'a.txt': 'a' })
  const command = await serveCommand(t, ['--proxy', `127.0.0.1:${port}`, '--watch', watched, '--livereload'])
  const ws = new WebSocket(`${command.url.replace('http', 'ws')}/livereload`, { handshakeTimeout: 30_000 })
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  const answer = Promise.race([ // a socket dropped fails the test here, not the file's timeout
    once(ws, 'message').then(([data]) => JSON.parse(String(data)) as unknown),
    once(ws, 'close').then(([code]) => `closed (${String(code)}); the command printed:\n${command.lines.join('\n')}\n${command.stderr()}`)
  ])
  ws.send(JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-7'] }))
  t.match(await answer, { command: 'hello' }, 'the command answers LiveReload 7 itself')
  t.equal((await get(`${command.url}/anything`)).body, 'upstream')
})

t.test('the command\'s app loads Fastify\'s schema compilers only when a route declares a schema, and then they work', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const { options } = parseCommand([dir]) as { options: CliOptions }
  const report = createReport({ out: new PassThrough(), isQuiet: true, browsers: () => 0 })
  const isLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some(path => path.includes(`${sep}@fastify${sep}ajv-compiler${sep}`))
  const started = await createApp(options, report)
  await started.ready()
  t.notOk(isLoaded(), 'a start loads none')
  await started.close()

  const app = await createApp(options, report)
  t.teardown(() => app.close())
  app.post('/echo', {
    schema: {
      body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
    }
  }, async request => ({ n: (request.body as { n: number }).n, dropped: 'by the serializer' }))
  t.equal((await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } })).statusCode, 400, 'validated')
  t.ok(isLoaded(), 'loaded for the route that asked')
  t.same((await app.inject({ method: 'POST', url: '/echo', payload: { n: 2 } })).json(), { n: 2 }, 'serialized by the schema')
  t.match((await app.inject('/')).body, TAG, 'the page, injected')
})

t.test('every interface: the URLs of the network are printed, with a warning; --open without a browser says so', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  // PATH without xdg-open: the browser cannot be opened here, which the command must say, not crash on
  const command = await serveCommand(t, [dir, '--host', '0.0.0.0', '--open'], { env: { PATH: '/nonexistent' } })
  t.match(command.url, /^http:\/\/localhost:\d+$/, 'the URL to open is loopback')
  await command.line(/warn {2}listening on every interface \(0\.0\.0\.0\): anyone on your network can read what is served/)
  await command.line(/warn {2}could not open a browser/)
  t.equal((await get(`${command.url.replace('localhost', '127.0.0.1')}/`)).status, 200, 'still serving')
})

t.test('--no-patch serves the client without the patcher; by default the command patches', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const report = createReport({ out: new PassThrough(), isQuiet: true, browsers: () => 0 })
  for (const [argv, hasPatcher] of [[[dir], true], [[dir, '--no-patch'], false]] as const) {
    const { options } = parseCommand([...argv]) as { options: CliOptions }
    const app = await createApp(options, report)
    t.teardown(() => app.close())
    t.equal((await app.inject('/__livereload/client.js')).body.includes('patched: '), hasPatcher, argv.slice(1).join(' ') || 'no flag')
  }
})

t.test('--sync: hello says every kind is on, and what one tab does reaches the other', async t => {
  const dir = fixture(t, { 'index.html': PAGE })
  const command = await serveCommand(t, ['--sync', dir])
  const [a, b] = [await channelClient(t, command.url), await channelClient(t, command.url)]
  t.match(a.messages[0], { type: 'hello', sync: { scroll: true, clicks: true, forms: true, navigation: true, scrollElements: [] } })
  for (const { ws } of [a, b]) await joinPage(ws, '/')
  const relayed = once(b.ws, 'message')
  a.ws.send(JSON.stringify({ type: 'sync', path: '/', event: { kind: 'click', target: '#go' } }))
  t.same(JSON.parse(String((await relayed)[0])), { type: 'sync', path: '/', event: { kind: 'click', target: '#go' } })
})
