// Run with `npx tap examples/testing/tap.test.js` (or plain `node`).
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { connectLiveReload } from 'fastify-livereload/testing'
import { createApp } from './app.js'

async function setup (t) {
  // tap removes t.testdir() after the teardowns registered before it, before the later ones: this
  // one comes first, so that the app (its watcher, its builds) closes while its files are there
  let closeApp = () => {}
  t.teardown(() => closeApp())
  // realpath: the watcher reports real paths, and a tmp dir may sit behind a symlink
  const dir = realpathSync(t.testdir({ src: { 'index.txt': '# Home\nWelcome' }, out: {} }))
  const app = await createApp({ src: join(dir, 'src'), out: join(dir, 'out') })
  closeApp = () => app.close()
  const lr = await connectLiveReload(app) // through app.injectWS(): no port needed
  t.teardown(() => lr.close()) // teardowns run last first: closed before the app, which need not wait for it
  return { app, lr, page: join(dir, 'src', 'index.txt') }
}

t.test('saving a page rebuilds it, then reloads the browser', async t => {
  const { app, lr, page } = await setup(t)
  const messages = await lr.change(page, '# Home\nWelcome back')
  t.match(messages, [{ type: 'building' }, { type: 'reload', paths: ['/index.html'] }])
  t.match((await app.inject('/index.html')).body, 'Welcome back')
})

t.test('a broken page shows its error until it is fixed', async t => {
  const { app, lr, page } = await setup(t)
  t.match(await lr.change(page, 'no title'), [{ type: 'building' }, { type: 'error' }])
  t.match(lr.lastErrors(), [{ message: 'a page must start with a "# Title" line', line: 1 }])
  t.match(app.liveReload.stats(), { failures: 1 })

  t.match(await lr.change(page, '# Home\nFixed'), [{ type: 'building' }, { type: 'reload' }])
  t.equal(lr.lastErrors(), null)
})
