// The dev server (lib/dev): a real app in real child processes, the real watcher, real sockets.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, get } from 'node:http'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { commandBuilder } from '../lib/builders/command.js'
import { dev, startDev } from '../lib/dev/dev.js'
import { forkEarly } from '../lib/dev/spawn-child.js'
import type { DevServer } from '../types/dev.js'
import type { BuildErrorInfo, ServerMessage } from '../types/index.js'
import { channelClient, runCommand } from './helpers/cli.js'
import { fakeEditor } from './helpers/fake-editor.js'
import { fixture, type Files } from './helpers/fixture.js'
import { eventually } from './helpers/eventually.js'
import { logLines } from './helpers/log.js'
import { KEEP } from './helpers/session-app.js'

// Three tests at a time: each runs a dev server of its own, whose versions are processes that
// most of the time wait (a boot, a watcher's batch, a request): one at a time, the file took 80 s
// for 32 s of CPU.
t.jobs = 3

const TAG = '<script src="/__livereload/client.js" defer></script>'
/** Whether this Node runs TypeScript itself (Node 24; 22.18 and 23.6 on): the dev server then needs no tsx. */
const stripsTypes = Boolean((process.features as { typescript?: string | false }).typescript)

/** A route module answering `body` at / (HTML) and /api (JSON). */
const route = (body: string): string => `export default async function (fastify) {
  fastify.get('/', async (request, reply) => reply.type('text/html').send('<html><head></head><body>${body}</body></html>'))
  fastify.get('/api', async () => ({ body: '${body}' }))
}
`

/** A fastify-cli-shaped app: app.js registers routes/root.js; `options` goes to Fastify. */
function app (t: Test, body = 'one', files: Record<string, unknown> = {}): string {
  return fixture(t, {
    'package.json': '{ "type": "module" }',
    'app.js': "import root from './routes/root.js'\nexport default async function app (fastify) { fastify.register(root) }\nexport const options = { logger: false }\n",
    routes: { 'root.js': route(body) },
    ...files
  } as Files)
}

/**
 * An app (app() with 'first') whose every boot, once app.js and routes/root.js are loaded, writes
 * its process's pid to `marker` (outside the app's directory, which the dev server watches) and
 * holds until that process gets SIGUSR2; `more`: the rest of its plugin's body.
 */
function gatedApp (t: Test, more = ''): { dir: string, marker: string } {
  const gate = mkdtempSync(join(tmpdir(), 'dev-gate-'))
  t.teardown(() => { rmSync(gate, { recursive: true, force: true }) })
  const marker = join(gate, 'booting')
  const dir = app(t, 'first', {
    'app.js': `import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import root from './routes/root.js'
export default async function app (fastify) {
  const go = once(process, 'SIGUSR2')
  writeFileSync(${JSON.stringify(marker)}, String(process.pid))
  await go
  fastify.register(root)
${more}}
export const options = { logger: false }
`
  })
  return { dir, marker }
}

async function start (t: Test, dir: string, options = {}): Promise<DevServer> {
  const server = await dev({ entry: join(dir, 'app.js'), port: 0, ...options })
  t.teardown(() => server.close())
  return server
}

const text = async (url: string): Promise<string> => await (await fetch(url)).text()

/** What a browser's navigation to `url` gets (fetch() cannot say it navigates). */
async function navigate (url: string): Promise<{ status: number, body: string }> {
  const headers = { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }
  return await new Promise((resolve, reject) => {
    get(url, { headers }, res => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => resolve({ status: res.statusCode!, body }))
    }).on('error', reject)
  })
}

/** How long a test waits for what it is owed at most: a guard against a hang, not a speed check. */
const GUARD_MS = 30_000

/** `promise`, or a rejection naming `what` once GUARD_MS have passed. */
async function guarded<T> (promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing within ${GUARD_MS} ms`)), GUARD_MS) })])
  } finally {
    clearTimeout(timer)
  }
}

/** Pids of the processes running `dir`'s app (the dev server's children). */
function children (dir: string): number[] {
  return readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number).filter(pid => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dir, 'app.js'))
    } catch {
      return false
    }
  })
}

t.test('serves the app with the client; a route edit is one reload, the new code serving, the socket kept', async t => {
  const dir = app(t)
  const server = await start(t, dir)
  t.equal(await text(`${server.url}/`), `<html><head>${TAG}</head><body>one</body></html>`)
  t.same(await (await fetch(`${server.url}/api`)).json(), { body: 'one' }, 'JSON untouched')
  const client = await channelClient(t, server.url)
  let closed = false
  client.ws.on('close', () => { closed = true })
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reload
  t.equal(await text(`${server.url}/`), `<html><head>${TAG}</head><body>two</body></html>`, 'the new code serves once the reload is sent')
  t.same(client.messages.slice(1).map(m => m.type), ['building', 'reload'], 'one build, one reload')
  t.notOk(closed, 'the browser\'s socket never dropped')
})

t.test('each edit boots one version: the save that asked for it never makes it boot twice', async t => {
  const log = join(mkdtempSync(join(tmpdir(), 'dev-boots-')), 'boots')
  t.teardown(() => { rmSync(dirname(log), { recursive: true, force: true }) })
  const dir = app(t, 'one', {
    'app.js': `import { appendFileSync } from 'node:fs'\nimport root from './routes/root.js'\nappendFileSync(${JSON.stringify(log)}, process.pid + '\\n')\n` +
      'export default async function app (fastify) { fastify.register(root) }\nexport const options = { logger: false }\n'
  })
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  for (const body of ['two', 'three']) {
    const reload = client.next('reload')
    writeFileSync(join(dir, 'routes', 'root.js'), route(body))
    await reload
  }
  t.match(await text(`${server.url}/`), /<body>three<\/body>/)
  t.equal(readFileSync(log, 'utf8').trim().split('\n').length, 3, 'the first version, and one for each edit')
})

t.test('a broken edit shows its error, file and line while the old version answers, its place opens the editor; the fix reloads once', async t => {
  const editor = fakeEditor(t)
  const dir = app(t)
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const error = client.next('error')
  writeFileSync(join(dir, 'routes', 'root.js'), 'export default async function (fastify) {\n  fastify.get(\'/\', (request, reply) => { reply.send( })\n}\n')
  const shown = (await error).errors[0]!
  t.match(shown, { file: /routes\/root\.js$/, line: 2 }, 'the broken file and line')
  t.match(shown.message, /Unexpected token/)
  t.match(shown.frame, /reply\.send\(/, 'a code frame')
  t.match(await text(`${server.url}/`), /<body>one<\/body>/, 'the previous version still answers')
  // The overlay's place opens the editor: the entry's directory is the project's.
  const { token } = await (await fetch(`${server.url}/__livereload/editor`)).json() as { token: string }
  const opened = editor.nextOpen()
  const open = await fetch(`${server.url}/__livereload/open-in-editor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ file: shown.file, line: shown.line, column: shown.column, token }) })
  t.equal(open.status, 204, 'the boot error\'s place opens in the editor')
  t.same(await guarded(opened, 'the editor'), [join(dir, 'routes', 'root.js'), String(shown.line), String(shown.column ?? 1)])
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('fixed'))
  await reload
  t.match(await text(`${server.url}/`), /<body>fixed<\/body>/)
})

/** An in-memory session store the app keeps across reloads; `save` and `restore` are its keeper's bodies. */
const sessionStore = (save: string, restore: string): string => `import { keep } from '${KEEP}'
export const sessions = new Map()
keep('sessions', {
  save: () => ${save},
  restore: saved => {
    ${restore}
  }
})
`
const GOOD_SAVE = 'sessions'
const GOOD_RESTORE = 'for (const [id, session] of saved) sessions.set(id, session)'

/** Routes: POST /login starts a session (a cookie), GET /me says who is logged in, and which version answers. */
const sessionRoutes = (version: string): string => `import { sessions } from '../sessions.js'
export default async function (fastify) {
  fastify.post('/login', async (request, reply) => {
    const id = String(process.pid) + String(sessions.size)
    sessions.set(id, { user: 'ada' })
    return reply.header('set-cookie', 'sid=' + id + '; Path=/').send({ ok: true })
  })
  fastify.get('/me', async request => ({ version: '${version}', user: sessions.get(/sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1])?.user ?? null }))
}
`

t.test('what the app keeps reaches the next version: logged in before an edit, still after it; a restore that throws fails its version; what cannot be cloned is left out, and the log says so', async t => {
  const dir = app(t, 'one', { 'sessions.js': sessionStore(GOOD_SAVE, GOOD_RESTORE), routes: { 'root.js': sessionRoutes('one') } })
  const { logger, next } = logLines('warn')
  const server = await start(t, dir, { logger })
  const login = await fetch(`${server.url}/login`, { method: 'POST' })
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!
  const me = async (): Promise<unknown> => await (await fetch(`${server.url}/me`, { headers: { cookie } })).json()
  t.same(await me(), { version: 'one', user: 'ada' }, 'logged in')
  const client = await channelClient(t, server.url)

  let reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), sessionRoutes('two'))
  await guarded(reload, 'the reload for version two')
  t.same(await me(), { version: 'two', user: 'ada' }, 'the new code, still logged in')

  const error = client.next('error')
  writeFileSync(join(dir, 'sessions.js'), sessionStore(GOOD_SAVE, "throw new Error('the store changed shape')"))
  const shown = (await guarded(error, 'the failed restore')).errors[0]!
  t.match(shown, { message: /restoring what "sessions" kept: the store changed shape/, file: /sessions\.js$/, line: 6 }, 'the error, at the throw in the app\'s restore')
  t.same(await me(), { version: 'two', user: 'ada' }, 'the version before still serves, the session in it')

  reload = client.next('reload')
  writeFileSync(join(dir, 'sessions.js'), sessionStore('() => sessions', GOOD_RESTORE)) // restores; saves what cannot be cloned
  await guarded(reload, 'the reload for the fix')
  t.same(await me(), { version: 'two', user: 'ada' }, 'the fix restored what the last version that served saved')

  const warned = next(line => /without what the app keeps/.test(line.msg))
  reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), sessionRoutes('three'))
  await guarded(reload, 'the reload for version three')
  t.match((await guarded(warned, 'the warning')), { kept: ['sessions'], msg: /"sessions": .*could not be cloned/ }, 'the log names what was left out and why')
  t.same(await me(), { version: 'three', user: null }, 'the version after it starts without it')
})

t.test('a plugin that throws at start: the error names the app\'s own frame', async t => {
  const dir = app(t)
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const error = client.next('error')
  writeFileSync(join(dir, 'routes', 'root.js'), 'export default async function (fastify) {\n  throw new Error(\'no database\')\n}\n')
  t.match((await error).errors[0], { message: 'no database', file: /routes\/root\.js$/, line: 2 })
})

t.test('a change while a version boots: one reload, the latest code, whenever the watcher reports it', async t => {
  const dir = app(t, 'one', { 'notes.md': 'a' })
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  // The version of the first save waits, once it has read its file, until the second is written:
  // the second save comes during its boot however slow the machine (a loaded run's boot ended
  // before the test wrote it, and the test took that version's reload). The hold is outside the
  // app's directory, which the dev server watches.
  const hold = join(mkdtempSync(join(tmpdir(), 'dev-hold-')), 'hold')
  t.teardown(() => { rmSync(dirname(hold), { recursive: true, force: true }) })
  writeFileSync(hold, '')
  const building = client.next('building')
  writeFileSync(join(dir, 'routes', 'root.js'), `import { existsSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
while (existsSync(${JSON.stringify(hold)})) await sleep(10)
${route('two')}`)
  await building
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('three'))
  rmSync(hold)
  await reload
  t.match(await text(`${server.url}/`), /<body>three<\/body>/)
  // The boot under way either hears of the second save and is cancelled, or finds on listening
  // that a file it loaded has changed since, and boots again; a report of it that comes after
  // the version serving loaded it restarts nothing. A file the app never loaded, written after,
  // ends in `clear`: by then the watcher has reported the second save too.
  const clear = client.next('clear')
  writeFileSync(join(dir, 'notes.md'), 'b')
  await clear
  t.equal(client.messages.filter(m => m.type === 'reload').length, 1, 'one reload')
})

t.test('a save that changes no content restarts nothing', async t => {
  const dir = app(t)
  const server = await start(t, dir)
  t.match(await text(`${server.url}/`), /<body>one<\/body>/)
  const before = children(dir) // the version serving and the standby
  const client = await channelClient(t, server.url)
  const clear = client.next('clear')
  writeFileSync(join(dir, 'routes', 'root.js'), route('one'))
  await clear
  t.same(client.messages.slice(1).map(m => m.type), ['building', 'clear'], 'no reload')
  t.same(children(dir), before, 'the same processes')
})

t.test('schemas: an edited one holds in the next version, the unchanged ones still validate and serialize', async t => {
  const items = (maximum: number): string => `const limit = { type: 'integer', minimum: 1, maximum: ${maximum}, default: 10 }
export default async function (fastify) {
  fastify.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } }, querystring: { type: 'object', properties: { limit } }, response: { 200: { type: 'object', properties: { id: { type: 'integer' }, limit: { type: 'integer' } } } } } }, async request => ({ ...request.params, ...request.query, secret: 1 }))
}
`
  const dir = app(t, 'one', { 'app.js': "import root from './routes/root.js'\nimport items from './routes/items.js'\nexport default async function app (fastify) { fastify.register(root); fastify.register(items) }\n" })
  writeFileSync(join(dir, 'routes', 'items.js'), items(100))
  const server = await start(t, dir)
  const status = async (path: string): Promise<string> => { const res = await fetch(server.url + path); return `${res.status} ${await res.text()}` }
  t.equal(await status('/items/3?limit=50'), '200 {"id":3,"limit":50}')
  const client = await channelClient(t, server.url)
  // A version with every schema as it was, one with the schema itself edited, and one more after it.
  for (const [file, source, maximum] of [['root.js', route('two'), 100], ['items.js', items(20), 20], ['root.js', route('three'), 20]] as const) {
    const reload = client.next('reload')
    writeFileSync(join(dir, 'routes', file), source)
    await reload
    t.equal(await status('/items/3'), '200 {"id":3,"limit":10}', `${file} edited, maximum ${maximum}: the default applied, the extra property left out`)
    t.match(await status('/items/x'), /^400 .*params\/id must be integer/, 'params validated')
    t.match(await status('/items/3?limit=50'), maximum === 100 ? /^200 / : /^400 .*querystring\/limit must be <= 20/, 'the maximum of this version')
  }
})

t.test('schemas: the first version of the next start runs the code the last start compiled, kept in node_modules/.cache', async t => {
  const dir = app(t, 'one', {
    node_modules: {},
    'app.js': "export default async function app (fastify) {\n  fastify.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } }, async request => request.params)\n}\n"
  })
  const first = await start(t, dir)
  t.equal(await text(`${first.url}/items/3`), '{"id":3}')
  await first.close() // the version ends once it has written what it compiled
  const cache = join(dir, 'node_modules/.cache/fastify-livereload')
  const [name] = readdirSync(cache)
  const kept = JSON.parse(readFileSync(join(cache, name!), 'utf8')) as { entries: Record<string, string> }
  t.equal(Object.keys(kept.entries).filter(key => key.startsWith('v')).length, 1, 'the params validator')
  // What answers next is that code, not a compile: a validator that refuses anything, kept in its place.
  for (const key of Object.keys(kept.entries)) {
    if (key.startsWith('v')) kept.entries[key] = "module.exports = function validate () { validate.errors = [{ instancePath: '', message: 'refused by the kept code', keyword: 'x', params: {}, schemaPath: '#' }]; return false }"
  }
  writeFileSync(join(cache, name!), JSON.stringify(kept))
  const next = await start(t, dir)
  const res = await fetch(`${next.url}/items/3`)
  t.equal(res.status, 400)
  t.match(await res.text(), /params refused by the kept code/)
})

t.test('an app that writes a file of its own directory as it starts: it starts, and an edit still reloads', async t => {
  const dir = app(t, 'one', {
    'app.js': "import { writeFileSync } from 'node:fs'\nimport root from './routes/root.js'\nexport default async function app (fastify) {\n" +
      "  writeFileSync(new URL('data.json', import.meta.url), JSON.stringify({ at: Date.now() }))\n" +
      '  await new Promise(resolve => setTimeout(resolve, 300)) // the thing under test: a start still under way (a database connecting) when the watcher reports the write\n  fastify.register(root)\n}\n'
  })
  const server = await start(t, dir) // resolves: the write does not cancel the first start
  t.match(await text(`${server.url}/`), /<body>one<\/body>/)
  const client = await channelClient(t, server.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reload
  t.match(await text(`${server.url}/`), /<body>two<\/body>/)
})

t.test('an app that writes module files into its own directory at each start (temp file, then rename): they restart nothing; an edit of one still does', async t => {
  // stamp.js is loaded before the app writes it again, as a generator run at start would; routes/
  // generated.js is never loaded. Each holds the pid of the process that wrote it.
  const dir = app(t, 'one', {
    'app.js': "import { renameSync, writeFileSync } from 'node:fs'\nimport { stamp } from './stamp.js'\nimport root from './routes/root.js'\n" +
      "const write = (name, text) => { writeFileSync(new URL(name + '.tmp', import.meta.url), text); renameSync(new URL(name + '.tmp', import.meta.url), new URL(name, import.meta.url)) }\n" +
      "export default async function app (fastify) {\n  write('stamp.js', 'export const stamp = ' + process.pid)\n  write('routes/generated.js', 'export const by = ' + process.pid)\n" +
      "  fastify.register(root)\n  fastify.get('/stamp', async () => String(stamp))\n}\n",
    'stamp.js': 'export const stamp = 0\n',
    'notes.md': 'a'
  })
  const log = logLines('info')
  const server = await start(t, dir, { logger: log.logger })
  const client = await channelClient(t, server.url)
  /**
   * Writes notes.md, which the app never loads, and resolves with the message that ends the build
   * carrying it: the watcher reports a write before another in the same batch or an earlier one,
   * so the app's own writes, made before, have been judged by then.
   */
  const fence = async (content: string): Promise<string> => {
    const ended = new Promise<string>(resolve => {
      let isCarrying = false
      const onMessage = (data: WebSocket.RawData): void => {
        const message = JSON.parse(String(data)) as ServerMessage
        if (message.type === 'building' && message.changes.some(change => change.endsWith('notes.md'))) isCarrying = true
        else if (isCarrying && ['clear', 'reload', 'error'].includes(message.type)) {
          client.ws.off('message', onMessage)
          resolve(message.type)
        }
      }
      client.ws.on('message', onMessage)
    })
    writeFileSync(join(dir, 'notes.md'), content)
    return await guarded(ended, 'the end of the build of notes.md')
  }
  t.equal(await fence('b'), 'clear')
  const reloads = (): number => log.lines.filter(line => line.msg === 'build finished' && line.sent === 'reload').length
  t.equal(reloads(), 1, 'one version: the first')
  t.notOk(log.lines.some(line => line.msg === 'build superseded by newer changes'), 'no start cancelled by the app\'s own writes')
  t.notOk(client.messages.some(message => message.type === 'reload'), 'browsers not reloaded')

  const reload = client.next('reload')
  writeFileSync(join(dir, 'stamp.js'), 'export const stamp = -1\n') // the developer's edit of a file the app writes
  await guarded(reload, 'the reload of the edit')
  t.equal(await text(`${server.url}/stamp`), '-1', 'the edit restarted the app, which loaded it')
  t.equal(await fence('c'), 'clear')
  t.equal(reloads(), 2, 'and that version\'s own writes restarted nothing')
})

t.test('an app that exits at start: the error says so, and where, whatever its Error.stackTraceLimit', async t => {
  const dir = app(t)
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const error = client.next('error')
  writeFileSync(join(dir, 'routes', 'root.js'), 'Error.stackTraceLimit = 1\nprocess.exit(3)\nexport default async function () {}\n')
  t.match((await error).errors[0], { message: /the app's process exited \(3\) before it listened/, file: /routes\/root\.js$/, line: 2 }, 'and where process.exit was called')
})

t.test('the version serving dies (a throw in a timer, process.exit, a kill): browsers get the error, the terminal a line, and its code serves again; a crash loop stops and says so', async t => {
  const dir = app(t, 'one', {
    'app.js': "import root from './routes/root.js'\nexport default async function app (fastify) {\n  fastify.register(root)\n" +
      "  fastify.get('/pid', async () => String(process.pid))\n" +
      "  fastify.get('/throw', async () => { setImmediate(() => { throw new Error('boom') }); return 'bye' })\n" +
      "  fastify.get('/exit', async () => { setImmediate(() => process.exit(3)); return 'bye' })\n}\n"
  })
  const log = logLines('info')
  const server = await start(t, dir, { logger: log.logger })
  const client = await channelClient(t, server.url)
  const pids = [await text(`${server.url}/pid`)]
  /** The version serving stops on a request to `path`: the `error` browsers get. */
  const stop = async (path: string): Promise<BuildErrorInfo> => {
    const error = client.next('error')
    await fetch(server.url + path).catch(() => {}) // its answer may be cut short by the stop
    return (await guarded(error, `the error of ${path}`)).errors[0]!
  }
  const thrown = await stop('/throw')
  t.match(thrown, { message: /^uncaught exception while serving: Error: boom\nStarting it again\.$/, file: /app\.js$/, line: 5 }, 'the exception, where it was thrown')
  t.match(thrown.frame, /throw new Error\('boom'\)/)
  pids.push(await text(`${server.url}/pid`)) // a request while it starts again waits for it
  const exited = await stop('/exit')
  t.match(exited, { message: /^the app's process exited \(3\) while serving\nStarting it again\.$/, file: /app\.js$/, line: 6 }, 'the exit, where process.exit was called')
  pids.push(await text(`${server.url}/pid`))
  const killed = client.next('error')
  process.kill(Number(pids[2]), 'SIGKILL') // by someone else: nothing said why
  t.match((await guarded(killed, 'the error of the kill')).errors[0]?.message, /^the app's process was killed \(SIGKILL\) while serving\nStarting it again\.$/)
  pids.push(await text(`${server.url}/pid`))
  t.match(pids, [/^\d+$/, /^\d+$/, /^\d+$/, /^\d+$/], 'each answered by the app, none by the 503 page')
  t.equal(new Set(pids).size, 4, 'each time a new process serves the same code')
  const gaveUp = await stop('/throw')
  t.match(gaveUp.message, /^uncaught exception while serving: Error: boom\nIt stopped again after each of 3 restarts: it starts again on the next change to its code\.$/)
  const page = await fetch(`${server.url}/pid`)
  t.equal(page.status, 503, 'not started again: the page that waits for a fix')
  t.match(await page.text(), TAG)
  t.same(log.lines.filter(line => line.plugin === 'livereload' && /^the app /.test(line.msg)).map(line => `${line.level} ${line.msg}`), [
    '50 the app stopped', '30 the app started again', '50 the app stopped', '30 the app started again',
    '50 the app stopped', '30 the app started again', '50 the app stopped'
  ], 'a line for each stop and each start again')
  t.match(log.lines.find(line => line.msg === 'the app stopped'), { err: { message: /Error: boom/, file: /app\.js$/, line: 5 } })
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await guarded(reload, 'the reload of the fix')
  t.match(await text(`${server.url}/`), /<body>two<\/body>/, 'a change starts it again')
})

t.test('before any version started: a 503 page with the client; the fix serves and reloads it', async t => {
  const dir = app(t, 'one', { routes: { 'root.js': 'export default async function (fastify) { fastify.get(\'/\', ( }\n' } })
  const server = await start(t, dir)
  const page = await fetch(`${server.url}/`)
  t.equal(page.status, 503)
  t.match(await page.text(), TAG, 'the client is in it')
  const client = await channelClient(t, server.url)
  t.equal(client.messages[0]?.type, 'hello')
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('up'))
  await reload
  t.match(await text(`${server.url}/`), /<body>up<\/body>/)
})

t.test('the first version does not parse: its error names the broken module\'s file and line, however many modules it imports after it', async t => {
  const siblings = Array.from({ length: 25 }, (_, i) => `r${i}`)
  const dir = app(t, 'one', {
    'app.js': "import broken from './routes/broken.js'\n" + siblings.map(name => `import ${name} from './routes/${name}.js'\n`).join('') +
      `export default async function app (fastify) { fastify.register(broken); ${siblings.map(name => `fastify.register(${name})`).join('; ')} }\n`,
    routes: {
      'broken.js': "export default async function (fastify) {\n  fastify.get('/', ( }\n",
      ...Object.fromEntries(siblings.map(name => [`${name}.js`, 'export default async function () {}\n']))
    }
  })
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const standing = client.messages.find(message => message.type === 'error') ?? await client.next('error') // replayed after hello, in its frame's tick or later
  t.match(standing.errors[0], { file: /routes\/broken\.js$/, line: 2 }, 'the standing error, with its place')
})

t.test('a request that comes while the first version boots waits for it and gets its answer, not the 503 page; the next standby starts once that answer is over', async t => {
  // The first version's boot holds until the test lets it go, once a request has reached the
  // supervisor; /slow sends its headers, then holds its end until the test lets it go again.
  const { dir, marker } = gatedApp(t, `  fastify.get('/slow', async (request, reply) => {
    reply.hijack()
    const end = once(process, 'SIGUSR2')
    reply.raw.writeHead(200, { 'content-type': 'application/json' })
    reply.raw.write('{"body":')
    await end
    reply.raw.end('"first"}')
  })
`)
  let arrived!: () => void
  const hasArrived = new Promise<void>(resolve => { arrived = resolve })
  let bound!: (port: number) => void
  const port = new Promise<number>(resolve => { bound = resolve })
  const starting = startDev({ entry: join(dir, 'app.js') }, async supervisor => {
    supervisor.server.once('request', () => { arrived() }) // as it comes in, before any hook of the supervisor's
    await supervisor.listen({ port: 0, host: '127.0.0.1' })
    bound((supervisor.server.address() as AddressInfo).port)
  })
  t.teardown(async () => { await (await starting).close() })
  const answer = fetch(`http://127.0.0.1:${await guarded(port, 'the port bound')}/slow`)
  await guarded(hasArrived, 'the request at the supervisor')
  await eventually(() => existsSync(marker) && readFileSync(marker, 'utf8') !== '', GUARD_MS, 'the first version booting') // written by the app's process
  const version = Number(readFileSync(marker, 'utf8'))
  process.kill(version, 'SIGUSR2')
  const res = await guarded(answer, 'the answer\'s headers')
  t.equal(res.status, 200, 'the app\'s answer, not the 503 page')
  t.same(children(dir), [version], 'no next standby booting beside the answer a request waited for')
  // A change while that answer is still open: the next version boots, and holds back no standby.
  writeFileSync(join(dir, 'routes', 'root.js'), route('second'))
  let next = 0
  await eventually(() => { next = Number(readFileSync(marker, 'utf8')); return next > 0 && next !== version }, GUARD_MS, 'the next version booting')
  process.kill(next, 'SIGUSR2')
  await eventually(async () => (await text(`http://127.0.0.1:${await port}/api`)).includes('second'), GUARD_MS, 'the next version serving')
  await eventually(() => children(dir).length === 3, GUARD_MS, 'a standby beside the version serving and the one still answering /slow')
  t.pass('a request that waited for an earlier version holds back no standby')
  process.kill(version, 'SIGUSR2')
  t.same(await res.json(), { body: 'first' })
  await guarded(starting, 'dev() resolved')
  await eventually(() => children(dir).length === 2, GUARD_MS, 'the version that answered /slow retired once it was over')
  t.pass('retired')
})

t.test('a module saved after the first version loaded it, before it listens: that version boots again before it serves', async t => {
  const { dir, marker } = gatedApp(t) // each boot holds, once app.js and routes/root.js are loaded, until the test lets it go
  const starting = dev({ entry: join(dir, 'app.js'), port: 0 })
  t.teardown(async () => { await (await starting).close() })
  const booting = async (other: number): Promise<number> => {
    let pid = 0
    await eventually(() => { pid = existsSync(marker) ? Number(readFileSync(marker, 'utf8')) : 0; return pid > 0 && pid !== other }, GUARD_MS, 'a version booting')
    return pid
  }
  const first = await booting(0)
  writeFileSync(join(dir, 'routes', 'root.js'), route('second')) // read already by the version booting
  process.kill(first, 'SIGUSR2')
  process.kill(await booting(first), 'SIGUSR2')
  const server = await guarded(starting, 'dev() resolved')
  t.match(await text(`${server.url}/`), /<body>second<\/body>/, 'the first version to serve has the save')
})

t.test('a change the app never loaded restarts nothing', async t => {
  const dir = app(t, 'one', { 'notes.md': 'a' })
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const clear = client.next('clear')
  writeFileSync(join(dir, 'notes.md'), 'b')
  await clear
  t.same(client.messages.slice(1).map(m => m.type), ['building', 'clear'], 'no reload')
})

t.test('an entry without a default export: the error names the entry, not the dev server\'s code', async t => {
  const dir = fixture(t, { 'package.json': '{ "type": "module" }', 'app.js': 'export const options = {}\n' })
  const server = await start(t, dir) // resolves once the first version serves, or its failure is shown
  t.match(server.app.liveReload.stats().lastErrors?.[0], { message: /app\.js must default-export a Fastify plugin/, file: /(^|\/)app\.js$/, line: 1 })
})

t.test('a builder of the user\'s (--build) whose output the app serves itself, no root: its build reloads the page', async t => {
  const dir = app(t, 'one', {
    src: { 'site.css': 'p { color: red }' },
    public: {},
    'build.cjs': "require('node:fs').copyFileSync('src/site.css', 'public/site.css')\n"
  })
  const server = await start(t, dir, { watch: join(dir, 'src'), builder: commandBuilder('node build.cjs', { cwd: dir }) })
  const client = await channelClient(t, server.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'src', 'site.css'), 'p { color: blue }')
  await guarded(reload, 'the reload after the build')
  t.equal(readFileSync(join(dir, 'public', 'site.css'), 'utf8'), 'p { color: blue }', 'built, and the page reloaded (it got `clear` alone before)')
})

t.test('@fastify/autoload: a new route file in a new directory at any depth, or a directory moved in, restarts the app and is served; a hidden file does not', async t => {
  const dir = app(t, 'one', {
    'app.js': "import autoload from '@fastify/autoload'\nimport { fileURLToPath } from 'node:url'\nexport default async function app (fastify) {\n" +
      "  fastify.register(autoload, { dir: fileURLToPath(new URL('routes', import.meta.url)) })\n}\n"
  })
  const staged = mkdtempSync(join(dirname(dir), 'staged-')) // beside, on the same file system
  t.teardown(() => rmSync(staged, { recursive: true, force: true }))
  mkdirSync(join(staged, 'blog', 'posts'), { recursive: true })
  writeFileSync(join(staged, 'blog', 'posts', 'index.js'), route('posts'))
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  /** The type of the message that ends the next build (clear, reload, error). */
  const ending = async (): Promise<string> => await guarded(new Promise<string>(resolve => {
    const onMessage = (data: WebSocket.RawData): void => {
      const { type } = JSON.parse(String(data)) as ServerMessage
      if (type === 'building') return
      client.ws.off('message', onMessage)
      resolve(type)
    }
    client.ws.on('message', onMessage)
  }), 'the end of a build')
  const ended = ending()
  writeFileSync(join(dir, 'routes', '.draft.js'), 'export default async function () {}\n') // hidden: an editor's, not a route
  t.equal(await ended, 'clear', 'a hidden file: no restart')
  // Each a reload: the watcher may report the directory and its file in two builds, the second of which ends in clear.
  let reload = client.next('reload')
  mkdirSync(join(dir, 'routes', 'users', 'admin'), { recursive: true })
  writeFileSync(join(dir, 'routes', 'users', 'admin', 'index.js'), route('admin'))
  await guarded(reload, 'the reload for a route file two new directories down')
  t.equal(await text(`${server.url}/users/admin/`), `<html><head>${TAG}</head><body>admin</body></html>`, 'a route file two new directories down, loaded by the new version')
  reload = client.next('reload')
  renameSync(join(staged, 'blog'), join(dir, 'routes', 'blog')) // the watcher reports the directory alone
  await guarded(reload, 'the reload for a directory of routes moved in')
  t.equal(await text(`${server.url}/blog/posts/`), `<html><head>${TAG}</head><body>posts</body></html>`, 'a directory of routes moved in')
  t.equal(await text(`${server.url}/`), `<html><head>${TAG}</head><body>one</body></html>`)
  // autoload adds " at " and the stack's first line to a SyntaxError's message: for an ES module, the message again.
  const error = client.next('error')
  writeFileSync(join(dir, 'routes', 'blog', 'posts', 'index.js'), 'export default async function (fastify) {\n  fastify.get(\'/\', () => { console.log( })\n}\n')
  t.match((await guarded(error, 'the broken route\'s error')).errors[0], { message: /^Unexpected token '\}'$/, file: /routes\/blog\/posts\/index\.js$/, line: 2 }, 'the message once, the place the route\'s')
})

t.test(`a TypeScript app whose routes @fastify/autoload loads (fastify-cli's TypeScript template) ${stripsTypes ? 'on Node\'s own type stripping' : 'through tsx'}`, async t => {
  const dir = app(t, 'one', {
    'app.ts': "import autoload from '@fastify/autoload'\nimport { fileURLToPath } from 'node:url'\n" +
      "export default async function app (fastify: any): Promise<void> {\n  await fastify.register(autoload, { dir: fileURLToPath(new URL('./routes', import.meta.url)) })\n}\n",
    routes: { 'root.ts': "export default async function (fastify: any): Promise<void> {\n  fastify.get('/', async (): Promise<string> => 'typed')\n}\n" }
  })
  const server = await dev({ entry: join(dir, 'app.ts'), port: 0 })
  t.teardown(() => server.close())
  t.equal(await text(`${server.url}/`), 'typed')
})

t.test('the app sees the Host browsers use, so its absolute URLs point at the dev server; a redirect to a URL that does not parse is passed on', async t => {
  const dir = app(t, 'one', {
    'app.js': "export default async function app (fastify) {\n  fastify.get('/where', async request => request.headers.host)\n  fastify.get('/go', async (request, reply) => reply.redirect(request.query.next))\n}\n"
  })
  const server = await start(t, dir)
  t.equal(await text(`${server.url}/where`), new URL(server.url).host)
  const redirected = await fetch(`${server.url}/go?next=${encodeURIComponent('http://[bad')}`, { redirect: 'manual' })
  t.equal(redirected.headers.get('location'), 'http://[bad', 'that response carries it as the app sent it')
  t.equal(await text(`${server.url}/where`), new URL(server.url).host, 'and the server goes on')
})

t.test('the app\'s own WebSocket routes are forwarded to the current version', async t => {
  const dir = app(t, 'one', {
    'app.js': "import websocket from '@fastify/websocket'\nexport default async function app (fastify) {\n  await fastify.register(websocket)\n  fastify.get('/echo', { websocket: true }, socket => socket.on('message', data => socket.send('v1 ' + data)))\n}\n"
  })
  const server = await start(t, dir)
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/echo`)
  t.teardown(() => ws.terminate())
  await once(ws, 'open')
  ws.send('hi')
  t.equal(String((await once(ws, 'message'))[0]), 'v1 hi')
})

t.test('a request in flight when its version is retired finishes', async t => {
  // /slow says it arrived (a file), then holds its answer until the test releases it (another
  // file), and answers with its process's pid. /pid answers at once.
  const dir = app(t, 'one', {
    'app.js': "import { existsSync, watch, writeFileSync } from 'node:fs'\nimport root from './routes/root.js'\n" +
      "const here = new URL('.', import.meta.url)\n" +
      "const released = () => new Promise(resolve => { const w = watch(here, () => { if (existsSync(new URL('release', here))) { w.close(); resolve() } }) })\n" +
      'export default async function app (fastify) {\n  fastify.register(root)\n' +
      "  fastify.get('/pid', async () => String(process.pid))\n" +
      "  fastify.get('/slow', async () => { const release = released(); writeFileSync(new URL('arrived', here), ''); await release; return String(process.pid) })\n}\n"
  })
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const before = await text(`${server.url}/pid`)
  const slow = fetch(`${server.url}/slow`).then(async response => [response.status, await response.text()])
  await eventually(() => existsSync(join(dir, 'arrived')), 10_000, 'the slow request reached the app')
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reload
  t.not(await text(`${server.url}/pid`), before, 'a new version serves')
  writeFileSync(join(dir, 'release'), '')
  t.same(await slow, [200, before], 'the request was answered in full by the retired version')
})

t.test('requests back to back on kept-alive connections across swaps: none fails', async t => {
  const dir = app(t)
  const server = await start(t, dir)
  const client = await channelClient(t, server.url)
  const failures: string[] = []
  let answered = 0
  const stop = new AbortController()
  // Four loops on fetch's kept-alive connections; the supervisor's own to each version are kept
  // alive too, which is where a version closed too early drops a request on its way.
  const loop = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      const response = await fetch(`${server.url}/api`).catch((err: Error) => ({ status: err.message, text: async () => '' }))
      if (response.status === 200) answered++
      else failures.push(`${response.status} ${await response.text()}`)
    }
  }
  const loops = Array.from({ length: 4 }, loop)
  try {
    for (const body of ['two', 'three', 'four', 'five', 'six']) {
      const reload = client.next('reload')
      writeFileSync(join(dir, 'routes', 'root.js'), route(body))
      await reload
    }
  } finally {
    stop.abort()
    await Promise.all(loops)
  }
  t.same(failures, [], 'no request failed')
  t.ok(answered > 20, `${answered} requests answered`)
})

t.test('close() ends every version: no child process left', async t => {
  const dir = app(t)
  const server = await dev({ entry: join(dir, 'app.js'), port: 0 })
  const client = await channelClient(t, server.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reload
  t.ok(children(dir).length >= 1, 'children run meanwhile')
  await server.close()
  await eventually(() => children(dir).length === 0, 10_000, 'every child gone')
  t.pass('none left')
})

t.test('an entry that does not exist or is a directory, a port that is none: a coded error', async t => {
  await t.rejects(dev({ entry: '/nonexistent/app.js', port: 0 }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"entry" must be the app's module/ })
  const dir = app(t)
  await t.rejects(dev({ entry: dir, port: 0 }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"entry" must be the app's module; ".*" is not a file/ })
  for (const port of [-1, 'x', 65536, 1.5]) {
    await t.rejects(dev({ entry: join(dir, 'app.js'), port } as never), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /"port" must be an integer of at least 0, at most 65535/ }, String(port))
  }
})

t.test(`a TypeScript entry runs ${stripsTypes ? 'on Node\'s own type stripping' : 'through tsx, found from the app'}; with no tsx to be found, ${stripsTypes ? 'all the same' : 'a coded error naming it'}`, async t => {
  const dir = app(t, 'one', {
    'app.ts': "import root from './routes/root.ts'\nexport default async function app (fastify: { register (plugin: unknown): void }): Promise<void> { fastify.register(root) }\n",
    routes: { 'root.ts': route('typed').replace('async function (fastify)', 'async function (fastify: any)') }
  })
  const server = await dev({ entry: join(dir, 'app.ts'), port: 0 })
  t.teardown(() => server.close())
  t.match(await text(`${server.url}/`), /<body>typed<\/body>/)
  const client = await channelClient(t, server.url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.ts'), route('retyped').replace('async function (fastify)', 'async function (fastify: any)'))
  await reload
  t.match(await text(`${server.url}/`), /<body>retyped<\/body>/)
  const error = client.next('error')
  writeFileSync(join(dir, 'routes', 'root.ts'), "export default async function (fastify: any): Promise<void> {\n  fastify.get('/', async () => 'x'\n")
  // The line where the parser gave up: esbuild (tsx) at the end of the file, Node's own at the unclosed call.
  t.match((await error).errors[0], { file: /routes\/root\.ts$/, line: stripsTypes ? 2 : 3 }, 'a TypeScript syntax error names the file and line, not esbuild\'s')

  const outside = realpathSync(mkdtempSync(join(tmpdir(), 'no-tsx-'))) // no node_modules above it
  t.teardown(() => rmSync(outside, { recursive: true, force: true }))
  writeFileSync(join(outside, 'app.ts'), 'export default async function () {}\n')
  const started = dev({ entry: join(outside, 'app.ts'), port: 0 })
  if (stripsTypes) {
    const alone = await started
    t.teardown(() => alone.close())
    t.equal((await fetch(`${alone.url}/`)).status, 404, 'served: an app with no routes')
  } else {
    started.then(async server => await server.close(), () => {}) // should it start (a tsx above the temp dir), it must not hold the test open
    await t.rejects(started, { code: 'FST_LIVERELOAD_MISSING_DEPENDENCY', message: /"tsx"/ })
  }
})

t.test('the command: fastify-livereload dev <entry> serves, reloads, and Ctrl-C leaves no child', async t => {
  const dir = app(t)
  const command = runCommand(t, ['dev', join(dir, 'app.js'), '--port', '0'])
  const line = await command.line(/with live reload at http:\/\//)
  const url = /(http:\/\/\S+)$/.exec(line)![1]!
  t.match(await text(`${url}/`), /<body>one<\/body>/)
  const client = await channelClient(t, url)
  const reload = client.next('reload')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reload
  await command.line(/built in \d+ ms, reload → 1 browser/)
  command.child.kill('SIGINT')
  t.equal(await command.exited, 0)
  await eventually(() => children(dir).length === 0, 10_000, 'every child gone')
  t.pass('no child left')
})

t.test('the command forks the first version\'s child before it loads the dev server; a start that fails ends it, and exits', async t => {
  const busy = createServer()
  busy.listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => busy.close())
  const { port } = busy.address() as AddressInfo
  const dir = app(t)
  const failed = runCommand(t, ['dev', join(dir, 'app.js'), '--port', String(port), '--strict-port'])
  t.equal(await guarded(failed.exited, 'the command\'s exit'), 1)
  t.match(failed.lines.join('\n'), `port ${port} is in use: choose another with --port`)
  await eventually(() => children(dir).length === 0, GUARD_MS, 'no child left')
  t.pass('no child left')

  const missing = runCommand(t, ['dev', join(dir, 'nothing.js'), '--port', '0'])
  t.equal(await guarded(missing.exited, 'the command\'s exit'), 2)
  t.match(missing.stderr(), /entry.*does not exist/, 'the dev server says what is wrong, as without a child forked ahead')
  symlinkSync('loop.js', join(dir, 'loop.js')) // stat fails with ELOOP, not ENOENT
  const looped = runCommand(t, ['dev', join(dir, 'loop.js'), '--port', '0'])
  t.equal(await guarded(looped.exited, 'the command\'s exit'), 2)
  t.match(looped.stderr(), /entry.*does not exist/, 'a path that cannot be read: the dev server says so too')
})

t.test('a child forked ahead goes, once, to generations that fork theirs as it was forked; to others it is ended', async t => {
  const dir = app(t)
  const options = { entry: join(dir, 'app.js'), execArgv: [], logger: null, schemas: {} }
  const early = forkEarly(options)
  const child = early.take({ ...options, schemas: { 'a schema': 'code' } })
  t.teardown(() => { child?.process.kill('SIGKILL') })
  t.not(child, null, 'taken: what schemas are sent ahead does not matter')
  t.equal(early.take(options), null, 'once')
  early.end()
  t.same(children(dir), [child!.process.pid], 'ending it after it was taken leaves it to its taker')
  child!.process.kill('SIGKILL')
  await eventually(() => children(dir).length === 0, GUARD_MS, 'the taken child gone')

  const other = forkEarly(options)
  t.equal(other.take({ ...options, logger: { level: 'info' } }), null, 'another logger: not taken')
  await eventually(() => children(dir).length === 0, GUARD_MS, 'the child not taken ended')
  t.pass('ended')
})

/**
 * Routes that throw a TypeError on line 3 of routes/root.js: /boom, answered by Fastify's error
 * handler; /sorry, by the app's own, in its words and with its status.
 */
const BOOM = `export default async function (fastify) {
  const boom = async () => {
    return undefined.name
  }
  fastify.get('/boom', boom)
  fastify.register(async scope => {
    scope.setErrorHandler((error, request, reply) => reply.code(503).send({ message: 'sorry, try later' }))
    scope.get('/sorry', boom)
  })
}
`

t.test('the command\'s terminal: a line for each 5xx a route\'s error caused, the app\'s logger off; -l and -P as fastify-cli\'s; -P without pino-pretty, a coded error naming it', async t => {
  const dir = app(t, 'one', { routes: { 'root.js': BOOM } })
  const quiet = runCommand(t, ['dev', join(dir, 'app.js'), '--port', '0'])
  const url = /(http:\/\/\S+)$/.exec(await quiet.line(/with live reload at http:\/\//))![1]!
  const res = await fetch(`${url}/boom`)
  t.equal(res.status, 500)
  t.equal(res.headers.get('x-fastify-livereload-route-error'), null, 'what the version tells the supervisor is not passed on')
  const line = /^GET \/boom 500: TypeError: Cannot read properties of undefined \(reading 'name'\) \(\S*routes\/root\.js:3:22\)$/m
  await eventually(() => line.test(quiet.stderr()), 10_000, `the line on stderr (got ${quiet.stderr()})`)
  t.equal(quiet.stderr().split('\n').filter(text => text.includes('/boom')).length, 1, 'one line')
  const page = await navigate(`${url}/sorry`)
  t.equal(page.status, 503, 'the app\'s status')
  t.match(page.body, '<pre>sorry, try later</pre>', 'its words')
  t.match(page.body, /<pre>Cannot read properties of undefined \(reading &#39;name&#39;\)<\/pre>\n<p>in <code><a data-livereload-file="\S*routes\/root\.js" data-livereload-line="3" data-livereload-column="22" title="Open in your editor">\S*routes\/root\.js:3:22<\/a><\/code><\/p>/, 'and the error behind them, with its place, a link to the editor')
  t.match(page.body, /at \S+ \(<a data-livereload-file="\S*routes\/root\.js" data-livereload-line="3" data-livereload-column="22"/, 'its stack\'s frame too')
  t.match(page.body, TAG)
  await eventually(() => /^GET \/sorry 503: TypeError/m.test(quiet.stderr()), 10_000, 'its line')

  const logged = runCommand(t, ['dev', join(dir, 'app.js'), '--port', '0', '-l', 'info', '-P'])
  const loggedUrl = /(http:\/\/\S+)$/.exec(await logged.line(/with live reload at http:\/\//))![1]!
  t.equal((await fetch(`${loggedUrl}/boom`)).status, 500)
  await logged.line(/ERROR.*Cannot read properties of undefined/)
  await logged.line(/INFO.*request completed/)
  await logged.line(/INFO.*this version listening at http:\/\/127\.0\.0\.1:\d+, behind the dev server, whose address to open is printed apart/)
  t.pass('the app\'s logs at info, through pino-pretty, on the command\'s output')
  t.notMatch(logged.stderr(), /GET \/boom 500/, 'the app\'s logger said it: no line of ours')

  const elsewhere = mkdtempSync(join(tmpdir(), 'lr-no-pretty-'))
  t.teardown(() => rmSync(elsewhere, { recursive: true, force: true }))
  writeFileSync(join(elsewhere, 'app.js'), 'export default async function app () {}\n')
  const missing = runCommand(t, ['dev', join(elsewhere, 'app.js'), '--port', '0', '--pretty-logs'])
  t.equal(await missing.exited, 1)
  t.match(missing.lines.join('\n'), / error fastify-livereload: the package "pino-pretty" is needed for prettyLogs.*: install it \(npm install --save-dev pino-pretty\)$/m, 'a line naming the package and how to install it')
  t.equal(missing.stderr(), '', 'no stack')
})

t.test('examples/server-reload starts, serves its app and its public/ with the client, and stops on SIGINT', async t => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../examples/server-reload/server.js', import.meta.url))], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let printed = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk
      const found = /reloaded on code changes: (http:\/\/\S+?)\/\n/.exec(printed)
      if (found !== null) resolve(found[1]!)
    })
    child.once('exit', code => reject(new Error(`the example exited (${code}): ${printed}`)))
  })
  const page = await text(`${url}/`)
  t.match(page, /Served by version \d+/)
  t.match(page, /Visits: 1,/, 'fastify-livereload/keep, as an app imports it')
  t.match(page, TAG)
  t.match(await text(`${url}/greet/world`), /Hello, world/, 'a route with a schema')
  t.match(await text(`${url}/style.css`), /font:/, 'public/')
  const exited = once(child, 'exit')
  child.kill('SIGINT')
  t.same(await exited, [0, null])
})
