// The dev server in Firefox: what the app keeps in memory (its sessions) survives a reload of its
// code, so the person stays logged in. test/browser/dev.test.ts covers the same in Chromium, and more.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { dev } from '../../lib/dev/dev.js'
import { consoleLine, firefoxContext, firefoxTab, nextLoad, visit } from '../helpers/firefox.js'
import { fixture } from '../helpers/fixture.js'
import { sessionApp, sessionRoute } from '../helpers/session-app.js'

const tab = await firefoxTab(t, await firefoxContext(t))

t.test('logged in before an edit, still logged in after the reload: the app keeps its in-memory sessions (fastify-livereload/keep)', async t => {
  const dir = fixture(t, sessionApp('one'))
  const server = await dev({ entry: join(dir, 'app.js'), port: 0 })
  t.teardown(() => server.close())
  const page = await visit(t, tab, `${server.url}/login`, page => consoleLine(page, 'connected'))
  t.equal(await page.$eval('p', p => p.textContent), 'ada', 'logged in')
  const reloaded = nextLoad(page)
  writeFileSync(join(dir, 'routes', 'root.js'), sessionRoute('two'))
  await reloaded
  t.equal(await page.$eval('h1', h1 => h1.textContent), 'two', 'the new code')
  t.equal(await page.$eval('p', p => p.textContent), 'ada', 'still logged in')
})
