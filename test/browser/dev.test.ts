// The dev server in real Chromium: a route edit shows after one reload; a broken edit shows the
// overlay while the old page still answers; the fix is one reload more.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { dev } from '../../lib/dev/dev.js'
import { browserContext, countLoads, sharedTab, visit } from '../helpers/browser.js'
import { fakeEditor } from '../helpers/fake-editor.js'
import { fixture } from '../helpers/fixture.js'
import { sessionApp, sessionRoute } from '../helpers/session-app.js'

const tab = await sharedTab(t, await browserContext(t))

const route = (body: string): string => `export default async function (fastify) {
  fastify.get('/', async (request, reply) => reply.type('text/html').send('<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><h1>${body}</h1></body></html>'))
}
`

const connected = (page: Page): Promise<unknown> => page.waitForEvent('console', { predicate: message => message.text() === '[livereload] connected', timeout: 20_000 })

t.test('edit a route: one reload shows it; break it: the overlay, the old page still answering, its place a link to the editor; fix it: one reload', async t => {
  const editor = fakeEditor(t)
  const dir = fixture(t, {
    'package.json': '{ "type": "module" }',
    'app.js': "import root from './routes/root.js'\nexport default async function app (fastify) { fastify.register(root) }\n",
    routes: { 'root.js': route('one') }
  })
  const server = await dev({ entry: join(dir, 'app.js'), port: 0 })
  t.teardown(() => server.close())
  const page = await visit(t, tab, `${server.url}/`, connected)
  const loads = countLoads(page)
  t.equal(await page.textContent('h1'), 'one')

  let reloaded = page.waitForEvent('load')
  writeFileSync(join(dir, 'routes', 'root.js'), route('two'))
  await reloaded
  t.equal(await page.textContent('h1'), 'two', 'the new code, after one reload')
  t.equal(loads(), 1)

  writeFileSync(join(dir, 'routes', 'root.js'), 'export default async function (fastify) {\n  fastify.get(\'/\', (request, reply) => { reply.send( })\n}\n')
  const overlay = page.locator('livereload-overlay')
  await overlay.waitFor()
  t.match(await overlay.locator('h2').textContent(), /routes\/root\.js:2/)
  const opened = editor.nextOpen()
  await overlay.locator('h2 a[href]').click()
  t.match(await opened, [join(dir, 'routes', 'root.js'), '2'], 'a click on the boot error\'s place opens the editor there')
  t.equal(await page.textContent('h1'), 'two', 'the page is still there')
  t.match(await (await fetch(`${server.url}/`)).text(), /<h1>two<\/h1>/, 'and the old version still answers')
  t.equal(loads(), 1, 'no reload for a failed version')

  reloaded = page.waitForEvent('load')
  writeFileSync(join(dir, 'routes', 'root.js'), route('three'))
  await reloaded
  t.equal(await page.textContent('h1'), 'three')
  t.equal(loads(), 2, 'one reload for the fix')
  t.equal(await overlay.count(), 0, 'the overlay went with the reload')
})

t.test('a route that throws: the tab gets the error page, message, place in the app (a link to the editor), code frame and client; an unknown address the app\'s 404; the fix reloads it', async t => {
  const editor = fakeEditor(t)
  const broken = "export default async function (fastify) {\n  fastify.get('/', async () => {\n    const user = undefined\n    return user.name\n  })\n}\n"
  const dir = fixture(t, {
    'package.json': '{ "type": "module" }',
    'app.js': "import root from './routes/root.js'\nexport default async function app (fastify) { fastify.register(root) }\nexport const options = { logger: false }\n",
    routes: { 'root.js': broken }
  })
  const server = await dev({ entry: join(dir, 'app.js'), port: 0 })
  t.teardown(() => server.close())
  const page = await visit(t, tab, `${server.url}/`, connected)
  t.equal(await page.textContent('h1'), '500 Internal Server Error')
  const body = await page.textContent('body') ?? ''
  t.match(body, "Cannot read properties of undefined (reading 'name')", 'the message')
  t.match(body, /in \S*routes\/root\.js:4:17\n/, 'the place, in the app\'s own file')
  t.match(body, /4 \| {5}return user\.name\n\s+\| +\^/, 'its code frame')
  t.match(body, /at .*routes\/root\.js:4:17/, 'the stack')
  const links = page.locator('a[data-livereload-file][href]')
  await links.first().waitFor()
  const texts = await links.allTextContents()
  t.match(texts.slice(0, 2), [/routes\/root\.js:4:17$/, /routes\/root\.js:4:17$/], 'the place and the app\'s own frame are links')
  t.ok(texts.some(text => text.includes('node_modules/fastify/')), 'and so are the dependencies\' frames, in the folded stack')
  const opened = editor.nextOpen()
  await links.first().click()
  t.same(await opened, [join(dir, 'routes', 'root.js'), '4', '17'], 'a click opens the editor there')

  const missing = await visit(t, tab, `${server.url}/nope`, connected)
  t.equal(await missing.textContent('h1'), '404 Not Found')
  t.match(await missing.textContent('body'), 'Route GET:/nope not found', 'what the app replied')

  await visit(t, tab, `${server.url}/`, connected)
  const reloaded = page.waitForEvent('load')
  writeFileSync(join(dir, 'routes', 'root.js'), route('fixed'))
  await reloaded
  t.equal(await page.textContent('h1'), 'fixed', 'the fix, after one reload by itself')
})

t.test('logged in before an edit, still logged in after the reload: the app keeps its in-memory sessions (fastify-livereload/keep)', async t => {
  const dir = fixture(t, sessionApp('one'))
  const server = await dev({ entry: join(dir, 'app.js'), port: 0 })
  t.teardown(() => server.close())
  const page = await visit(t, tab, `${server.url}/login`, connected)
  t.equal(await page.textContent('p'), 'ada', 'logged in')
  const reloaded = page.waitForEvent('load')
  writeFileSync(join(dir, 'routes', 'root.js'), sessionRoute('two'))
  await reloaded
  t.equal(await page.textContent('h1'), 'two', 'the new code')
  t.equal(await page.textContent('p'), 'ada', 'still logged in')
})
