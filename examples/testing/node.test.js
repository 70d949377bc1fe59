// Run with `node --test examples/testing/node.test.js`.
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connectLiveReload } from 'fastify-livereload/testing'
import { createApp } from './app.js'

async function setup (t) {
  // realpath: the watcher reports real paths, and a tmp dir may sit behind a symlink
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'site-')))
  await mkdir(join(dir, 'src'))
  await mkdir(join(dir, 'out')) // exists before the app starts, so that it is watched
  await writeFile(join(dir, 'src', 'index.txt'), '# Home\nWelcome')
  const app = await createApp({ src: join(dir, 'src'), out: join(dir, 'out') })
  let lr = null
  t.after(async () => { // node:test runs after() hooks in order: one hook closes all, in order
    await lr?.close() // before the app, so that app.close() need not wait for it
    await app.close()
    await rm(dir, { recursive: true, force: true })
  })
  lr = await connectLiveReload(app) // through app.injectWS(): no port needed
  return { app, lr, page: join(dir, 'src', 'index.txt') }
}

test('saving a page rebuilds it, then reloads the browser', async t => {
  const { app, lr, page } = await setup(t)
  const messages = await lr.change(page, '# Home\nWelcome back')
  assert.deepEqual(messages.map(m => m.type), ['building', 'reload'])
  assert.deepEqual(messages[1], { type: 'reload', paths: ['/index.html'] })
  assert.match((await app.inject('/index.html')).body, /Welcome back/)
})

test('a broken page shows its error until it is fixed', async t => {
  const { app, lr, page } = await setup(t)
  const [, error] = await lr.change(page, 'no title')
  assert.equal(error.type, 'error')
  assert.equal(lr.lastErrors()[0].message, 'a page must start with a "# Title" line')
  assert.equal(app.liveReload.stats().failures, 1)

  assert.equal((await lr.change(page, '# Home\nFixed')).at(-1).type, 'reload')
  assert.equal(lr.lastErrors(), null)
})
