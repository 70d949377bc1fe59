// "Open in editor": `POST {path}/open-in-editor` starts the editor (a fake one that records its
// arguments) at the place asked, and refuses, with a 403 and a code, anything outside the rules
// of docs/security.md. A real server on a loopback port, real files, a real editor process.
import { request } from 'node:http'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { isThisMachine } from '../lib/editor/this-machine.js'
import { displayPath } from '../lib/paths.js'
import type { LiveReloadOptions } from '../types/index.js'
import { fakeEditor } from './helpers/fake-editor.js'
import { harness } from './helpers/harness.js'
import { logLines } from './helpers/log.js'

interface Answer { status: number, headers: Record<string, unknown>, body: string, json: () => Record<string, unknown> }

/** One request to 127.0.0.1:`port`, any headers (Host included) as given. */
async function send (port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', chunk => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) as Record<string, unknown> }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

interface Project {
  app: FastifyInstance
  port: number
  dir: string
  token: string
  /** A file of the fixture as errors show it (relative to the working directory). */
  shown: (file: string) => string
  open: (fields: Record<string, unknown>, headers?: Record<string, string>) => Promise<Answer>
  lines: ReturnType<typeof logLines>
}

/**
 * A project (its output in dist/, its sources watched, a dependency in node_modules/, a link out
 * of it) beside a directory outside it, served by the plugin on a loopback port.
 */
async function serveProject (t: Test, options: LiveReloadOptions = {}, setup?: (app: FastifyInstance) => void): Promise<Project> {
  const lines = logLines('debug')
  const { app, dir: base, port } = await harness(t, {
    files: {
      project: {
        dist: { 'index.html': '<!doctype html><p>site</p>' },
        src: { 'a.js': 'one\ntwo\nthree\n', 'link.js': t.fixture('symlink', '../../outside/secret.js'), out: t.fixture('symlink', '../../outside') },
        node_modules: { lib: { 'index.js': 'module.exports = 1\n' } }
      },
      outside: { 'secret.js': 'secret\n' },
      node_modules: { dep: { 'index.js': 'module.exports = 2\n' } } // where Node also looks for the project's modules
    },
    options: fixtureDir => ({ root: join(fixtureDir, 'project', 'dist'), watch: [join(fixtureDir, 'project')], ...options }),
    fastify: { logger: lines.logger },
    setup: server => {
      setup?.(server)
      // Its error page's stack names places of the project (`dir`, known by the time it is asked for).
      server.get('/boom', async () => {
        const error = new Error('boom')
        error.stack = `Error: boom\n    at load (${join(dir, 'node_modules/lib/index.js')}:1:8)\n    at handler (${join(dir, 'src/a.js')}:2:1)`
        throw error
      })
    }
  })
  const dir = join(base, 'project')
  const answer = await send(port, 'GET', '/__livereload/editor', {})
  const token = answer.status === 200 ? answer.json().token as string : ''
  const open = async (fields: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> =>
    await send(port, 'POST', '/__livereload/open-in-editor', { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}`, ...headers }, JSON.stringify(fields))
  return { app, port, dir, token, shown: file => displayPath(join(dir, file)), open, lines }
}

t.test('a click\'s request starts the editor at the file, line and column asked, and says so in the log', async t => {
  const editor = fakeEditor(t)
  const { dir, token, shown, open, lines } = await serveProject(t)
  t.match(token, /^[\w-]{32}$/, 'the page gets a token')
  const opened = editor.nextOpen()
  const res = await open({ file: shown('src/a.js'), line: 2, column: 3, token })
  t.equal(res.status, 204)
  t.same(await opened, [join(dir, 'src/a.js'), '2', '3'], 'the editor got the file by its real path, the line and the column')
  t.match(lines.lines.find(line => line.msg === 'opened in the editor'), { file: shown('src/a.js'), line: 2 })
  const atLine = editor.nextOpen()
  t.equal((await open({ file: shown('src/a.js'), line: 3, token })).status, 204, 'no column: column 1')
  t.same(await atLine, [join(dir, 'src/a.js'), '3', '1'])
})

t.test('every request out of the rules is refused with a 403 and a code, and no editor starts', async t => {
  const editor = fakeEditor(t)
  const { port, dir, token, shown, open } = await serveProject(t)
  const file = shown('src/a.js')
  const cases: Array<[string, Record<string, unknown>, Record<string, string>, string]> = [
    ['a path that climbs out with ../', { file: `${shown('src')}/../../outside/secret.js`, line: 1, token }, {}, 'outside-project'],
    ['../ from the working directory', { file: '../../../../../../etc/hostname', line: 1, token }, {}, 'outside-project'],
    ['an absolute path outside the project', { file: '/etc/hostname', line: 1, token }, {}, 'outside-project'],
    ['the project\'s parent itself', { file: displayPath(join(dir, '..', 'outside', 'secret.js')), line: 1, token }, {}, 'outside-project'],
    ['a link inside the project to a file outside', { file: shown('src/link.js'), line: 1, token }, {}, 'outside-project'],
    ['a file through a linked directory that leads out', { file: shown('src/out/secret.js'), line: 1, token }, {}, 'outside-project'],
    ['a node_modules file no error named', { file: shown('node_modules/lib/index.js'), line: 1, token }, {}, 'node-modules'],
    ['a directory', { file: shown('src'), line: 1, token }, {}, 'not-a-file'],
    ['a foreign Origin', { file, line: 1, token }, { origin: 'https://evil.example' }, 'origin-not-allowed'],
    ['the same host on another port', { file, line: 1, token }, { origin: `http://127.0.0.1:${port + 1}` }, 'origin-not-allowed'],
    ['Origin null (a sandboxed frame)', { file, line: 1, token }, { origin: 'null' }, 'origin-not-allowed'],
    ['a rebinding Host', { file, line: 1, token }, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` }, 'host-not-allowed'],
    ['a rebinding Host without Origin', { file, line: 1, token }, { host: `evil.example:${port}` }, 'host-not-allowed'],
    ['no token', { file, line: 1 }, {}, 'missing-token'],
    ['a wrong token', { file, line: 1, token: token.replace(/^./, c => c === 'A' ? 'B' : 'A') }, {}, 'wrong-token'],
    ['a token of another length', { file, line: 1, token: `${token}x` }, {}, 'wrong-token'],
    ['a token that is not a string', { file, line: 1, token: [token] }, {}, 'wrong-token'],
    ['line 0', { file, line: 0, token }, {}, 'bad-line'],
    ['a negative line', { file, line: -3, token }, {}, 'bad-line'],
    ['a line that is not an integer', { file, line: 1.5, token }, {}, 'bad-line'],
    ['a line given as a string', { file, line: '2', token }, {}, 'bad-line'],
    ['a huge line', { file, line: 1e12, token }, {}, 'bad-line'],
    ['no line', { file, token }, {}, 'bad-line'],
    ['column 0', { file, line: 1, column: 0, token }, {}, 'bad-column'],
    ['a column past the bound', { file, line: 1, column: 2 ** 53, token }, {}, 'bad-column'],
    ['a file with a control character', { file: `${file}\n`, line: 1, token }, {}, 'bad-file'],
    ['an empty file name', { file: '', line: 1, token }, {}, 'bad-file'],
    ['a field the route does not know', { file, line: 1, token, editor: 'sh -c id' }, {}, 'bad-request']
  ]
  for (const [what, fields, headers, code] of cases) {
    const res = await open(fields, headers)
    t.equal(res.status, 403, what)
    t.match(res.json(), { statusCode: 403, code, message: String }, `${what}: ${code}`)
  }
  const text = await send(port, 'POST', '/__livereload/open-in-editor', { 'content-type': 'text/plain', origin: `http://127.0.0.1:${port}` }, JSON.stringify({ file, line: 1, token }))
  t.match([text.status, text.json().code], [403, 'bad-request'], 'a body that is not JSON (a form a page of any origin could send)')
  const missing = await open({ file: shown('src/gone.js'), line: 1, token })
  t.match([missing.status, missing.json().code], [404, 'not-found'], 'a file of the project that does not exist: 404')
  const preflight = await send(port, 'OPTIONS', '/__livereload/open-in-editor', { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' })
  t.equal(preflight.status, 404, 'a CORS preflight from another origin finds no route')
  t.notOk(Object.keys(preflight.headers).some(name => name.startsWith('access-control-')), 'and is granted nothing')
  // The editor records each start in a file of its own: after a start that is allowed, it is the only one.
  const opened = editor.nextOpen()
  t.equal((await open({ file, line: 1, token })).status, 204)
  t.same(await opened, [join(dir, 'src/a.js'), '1', '1'])
  t.same(await editor.opens(), [[join(dir, 'src/a.js'), '1', '1']], 'no refused request started the editor')
})

t.test('the token is read by the page\'s own origin only, and refused like the channel', async t => {
  const { port, token } = await serveProject(t)
  const own = await send(port, 'GET', '/__livereload/editor', { origin: `http://127.0.0.1:${port}` })
  t.equal(own.status, 200)
  t.same(own.json(), { token })
  const foreign = await send(port, 'GET', '/__livereload/editor', { origin: 'https://evil.example' })
  t.match([foreign.status, foreign.json().code], [403, 'origin-not-allowed'])
  const rebinding = await send(port, 'GET', '/__livereload/editor', { host: `evil.example:${port}` })
  t.match([rebinding.status, rebinding.json().code], [403, 'host-not-allowed'])
  const include = await send(port, 'GET', '/__livereload/editor', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })
  t.match([include.status, include.json().code], [403, 'cross-site-load'], 'a cross-site <script src>')
  t.notOk(Object.keys(own.headers).some(name => name.startsWith('access-control-')), 'no CORS header')
  t.match(own.headers, { 'cache-control': 'no-store', 'cross-origin-resource-policy': 'same-origin', 'x-content-type-options': 'nosniff' })
})

t.test('a node_modules file opens once an error shown named it (in the overlay, or in a route error page\'s stack), in the project or above it', async t => {
  const editor = fakeEditor(t)
  const { app, port, dir, token, shown, open } = await serveProject(t)
  const dependency = { file: shown('node_modules/lib/index.js'), line: 1, token }
  t.equal((await open(dependency)).status, 403, 'not named yet')
  const page = await send(port, 'GET', '/boom', { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })
  t.equal(page.status, 500)
  t.match(page.body, `<a data-livereload-file="${shown('src/a.js')}" data-livereload-line="2" data-livereload-column="1"`, 'the page\'s places are links')
  t.match(page.body, `<a data-livereload-file="${shown('node_modules/lib/index.js')}" data-livereload-line="1" data-livereload-column="8"`)
  t.match(page.body, '<script type="module" src="/__livereload/editor.js"></script>', 'and the module that makes them live is loaded')
  const opened = editor.nextOpen()
  t.equal((await open({ ...dependency, column: 8 })).status, 204, 'named by the page\'s stack: opened')
  t.same(await opened, [join(dir, 'node_modules/lib/index.js'), '1', '8'])

  const other = await serveProject(t)
  t.equal((await other.open({ file: other.shown('node_modules/lib/index.js'), line: 1, token: other.token })).status, 403)
  other.app.liveReload.send({ type: 'error', errors: [{ message: 'in a dependency', file: other.shown('node_modules/lib/index.js'), line: 1 }] })
  const fromOverlay = editor.nextOpen()
  t.equal((await other.open({ file: other.shown('node_modules/lib/index.js'), line: 1, token: other.token })).status, 204, 'named by a build error: opened')
  t.same(await fromOverlay, [join(other.dir, 'node_modules/lib/index.js'), '1', '1'])
  const above = { file: displayPath(join(other.dir, '..', 'node_modules/dep/index.js')), line: 1, token: other.token }
  t.match((await other.open(above)).json(), { code: 'outside-project' }, 'a dependency above the project, not named: outside')
  other.app.liveReload.send({ type: 'error', errors: [{ message: 'in a dependency above', file: above.file, line: 1 }] })
  const fromAbove = editor.nextOpen()
  t.equal((await other.open(above)).status, 204, 'named: it is where Node resolves the project\'s modules from, opened')
  t.same(await fromAbove, [join(other.dir, '..', 'node_modules/dep/index.js'), '1', '1'])
  other.app.liveReload.send({ type: 'error', errors: [{ message: 'outside', file: displayPath(join(other.dir, '..', 'outside/secret.js')), line: 1 }] })
  t.match((await other.open({ ...above, file: displayPath(join(other.dir, '..', 'outside/secret.js')) })).json(), { code: 'outside-project' }, 'named, but outside the project and its node_modules: refused')
  t.not(other.token, token, 'each server start has its own token')
  t.equal((await other.open({ file: other.shown('src/a.js'), line: 1, token })).status, 403, 'another server\'s token is refused')
  await app.close()
})

t.test('no editor to be found: 409 with what to set, and a warning in the log', async t => {
  const { token, shown, open, lines } = await serveProject(t)
  const saved = { LAUNCH_EDITOR: process.env.LAUNCH_EDITOR, VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR, PATH: process.env.PATH }
  t.teardown(() => { for (const [name, value] of Object.entries(saved)) value === undefined ? delete process.env[name] : process.env[name] = value })
  delete process.env.LAUNCH_EDITOR
  delete process.env.VISUAL
  delete process.env.EDITOR
  process.env.PATH = '' // launch-editor's look at the running editors (`ps x`) finds no `ps`, so none
  const res = await open({ file: shown('src/a.js'), line: 1, token })
  process.env.PATH = saved.PATH
  t.equal(res.status, 409)
  t.match(res.json(), { code: 'no-editor', message: /LAUNCH_EDITOR/ })
  t.match(lines.lines.find(line => line.level === 40), { msg: /no editor found/, file: shown('src/a.js') })
})

t.test('an editor that cannot start: 500 with the reason, and a warning in the log', async t => {
  const { token, shown, open, lines } = await serveProject(t)
  const saved = process.env.LAUNCH_EDITOR
  t.teardown(() => { saved === undefined ? delete process.env.LAUNCH_EDITOR : process.env.LAUNCH_EDITOR = saved })
  process.env.LAUNCH_EDITOR = join(shown('src'), 'no-such-editor')
  const res = await open({ file: shown('src/a.js'), line: 1, token })
  t.equal(res.status, 500)
  t.match(res.json(), { code: 'editor-failed', message: /ENOENT/ })
  t.match(lines.lines.find(line => line.level === 40), { msg: /^cannot open \S+a\.js in the editor: .*ENOENT/, reason: /ENOENT/ })
})

t.test('openInEditor: false: no route, no token, and the route error page has no links', async t => {
  const { port, open } = await serveProject(t, { openInEditor: false })
  t.equal((await send(port, 'GET', '/__livereload/editor', {})).status, 404)
  t.equal((await open({ file: 'x', line: 1, token: 'x' })).status, 404)
  const page = await send(port, 'GET', '/boom', { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })
  t.equal(page.status, 500)
  t.notMatch(page.body, /data-livereload-file|editor\.js/)
})

t.test('the route error page\'s module carries the nonce of the response\'s policy, as the client tag does', async t => {
  const { port } = await serveProject(t, {}, app => app.addHook('onRequest', async (_request, reply) => { reply.header('content-security-policy', "script-src 'nonce-r4nd0m'") }))
  const page = await send(port, 'GET', '/boom', { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' })
  t.match(page.body, '<script type="module" src="/__livereload/editor.js" nonce="r4nd0m"></script>')
  t.match(page.body, '<script src="/__livereload/client.js" nonce="r4nd0m" defer></script>')
})

t.test('a message the app sends with errors of any shape is sent, and names nothing', async t => {
  const { app, token, shown, open } = await serveProject(t)
  for (const errors of [undefined, null, 'x', [null, 1, 'y', { file: 3 }], [{ message: 'm', stack: 42 }]]) {
    t.doesNotThrow(() => app.liveReload.send({ type: 'error', errors } as never), JSON.stringify(errors) ?? 'undefined')
  }
  t.match((await open({ file: shown('node_modules/lib/index.js'), line: 1, token })).json(), { code: 'node-modules' })
})

t.test('only a peer on this machine: loopback, or one of its own addresses', async t => {
  for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) t.ok(isThisMachine(address), address)
  for (const address of [undefined, '', 'localhost', '203.0.113.5', '::ffff:203.0.113.5', '2001:db8::1']) t.notOk(isThisMachine(address), String(address))
})
