import { EventEmitter, once } from 'node:events'
import { realpathSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import t from 'tap'
import type { FileChange } from '../types/index.js'
import { resolveOptions } from '../lib/options.js'
import { displayPath, nativeIgnore, toChanges, watchDirectory } from '../lib/watch.js'
import { collectingLogger } from './helpers/log.js'

/** Collects every batch; `next()` resolves with the next one (start waiting before acting). */
function batches () {
  const events = new EventEmitter()
  const all: FileChange[][] = []
  return {
    all,
    onChanges: (changes: FileChange[]) => { all.push(changes); events.emit('batch', changes) },
    next: async () => (await once(events, 'batch'))[0] as FileChange[]
  }
}

t.test('a write in the watched directory arrives as a change with its absolute path', async t => {
  const dir = realpathSync(t.testdir({ 'index.html': '<h1>x</h1>' }))
  const received = batches()
  const watcher = await watchDirectory(dir, resolveOptions().ignore, received.onChanges, collectingLogger().log)
  t.teardown(() => watcher?.close())
  const batch = received.next()
  await writeFile(join(dir, 'index.html'), '<h1>y</h1>')
  t.same(await batch, [{ path: join(dir, 'index.html'), type: 'update' }])
})

t.test('default and user ignores, globs and RegExps, keep their files out', async t => {
  const dir = realpathSync(t.testdir({ sub: {}, node_modules: { pkg: {} } }))
  const received = batches()
  const { ignore } = resolveOptions({ ignore: ['**/*.map', /^sub\/skip-/] })
  const watcher = await watchDirectory(dir, ignore, received.onChanges, collectingLogger().log)
  t.teardown(() => watcher?.close())
  for (const file of ['node_modules/pkg/index.js', 'page.html.swp', 'app.js.map', 'sub/skip-me.html', 'page.html~']) {
    await writeFile(join(dir, file), 'x')
  }
  const batch = received.next()
  await writeFile(join(dir, 'sub/kept.html'), 'x')
  // The ignored writes came first: had any got through, it would be in this batch or an earlier one.
  const paths = (await batch).map(change => change.path)
  t.ok(paths.includes(join(dir, 'sub/kept.html')))
  t.same(received.all.flat().map(change => change.path).filter(path => !path.endsWith('kept.html')), [])
})

t.test('the default ignores reach the watcher as plain paths; nested ones are dropped in JS', async t => {
  // Parcel matches globs with std::regex per path while it crawls: the defaults as globs made a
  // start on 10,000 files ten times slower (bench/, scenario 6).
  t.same(nativeIgnore(resolveOptions({ ignore: ['**/*.map'] }).ignore.globs), ['.git', 'node_modules', '**/*.map'])
  const dir = realpathSync(t.testdir({ app: { node_modules: { pkg: {} }, '.git': {} } }))
  const received = batches()
  const watcher = await watchDirectory(dir, resolveOptions().ignore, received.onChanges, collectingLogger().log)
  t.teardown(() => watcher?.close())
  for (const file of ['app/node_modules/pkg/index.js', 'app/.git/HEAD', 'app/#page.html#', 'app/.#page.html']) {
    await writeFile(join(dir, file), 'x')
  }
  const batch = received.next()
  await writeFile(join(dir, 'app/kept.html'), 'x')
  t.ok((await batch).some(change => change.path === join(dir, 'app/kept.html')))
  t.same(received.all.flat().map(change => change.path).filter(path => !path.endsWith('kept.html')), [])
})

t.test('a missing directory is a warning, not an error', async t => {
  const { log, lines } = collectingLogger()
  const watcher = await watchDirectory(resolve(t.testdirName, 'missing'), resolveOptions().ignore, () => {}, log)
  t.equal(watcher, null)
  t.match(lines, [{ level: 40, msg: /does not exist/ }])
})

t.test('a file in place of the directory is a warning too', async t => {
  const dir = t.testdir({ file: 'x' })
  const { log, lines } = collectingLogger()
  t.equal(await watchDirectory(join(dir, 'file'), resolveOptions().ignore, () => {}, log), null)
  t.match(lines, [{ level: 40 }])
})

t.test('a subscription failure is logged with a coded error and the server goes on', async t => {
  const { log, lines } = collectingLogger()
  // A directory inotify refuses: /proc/self stats as a directory but cannot be watched.
  const watcher = await watchDirectory('/proc/self', resolveOptions().ignore, () => {}, log)
  t.equal(watcher, null)
  t.match(lines, [{ level: 40, err: { code: 'FST_LIVERELOAD_WATCH_FAILED', message: /cannot watch "\/proc\/self"/ } }])
})

t.test('an exception thrown while handling events is logged, never thrown into native code', async t => {
  const dir = realpathSync(t.testdir({}))
  const { log, lines } = collectingLogger()
  const thrown = new EventEmitter()
  const watcher = await watchDirectory(dir, resolveOptions().ignore, () => {
    thrown.emit('thrown')
    throw new Error('handler bug')
  }, log)
  t.teardown(() => watcher?.close())
  const handled = once(thrown, 'thrown')
  await writeFile(join(dir, 'a.html'), 'x')
  await handled
  t.match(lines.at(-1), { level: 50, err: { message: 'handler bug' } })
})

t.test('close is idempotent', async t => {
  const dir = t.testdir({})
  const watcher = await watchDirectory(dir, resolveOptions().ignore, () => {}, collectingLogger().log)
  await Promise.all([watcher?.close(), watcher?.close()])
  await watcher?.close()
  t.pass('closed three times without error')
})

t.test('toChanges applies RegExps to the path relative to the watched directory', async t => {
  const changes = toChanges('/w', [
    { path: '/w/a/b.tmp', type: 'create' },
    { path: '/w/a/b.html', type: 'update' }
  ], [/\.tmp$/])
  t.same(changes, [{ path: '/w/a/b.html', type: 'update' }])
})

t.test('displayPath is relative inside the working directory, absolute outside', async t => {
  t.equal(displayPath(process.cwd()), '.')
  t.equal(displayPath(join(process.cwd(), 'dist', 'x')), 'dist/x')
  t.equal(displayPath('/elsewhere/x'), '/elsewhere/x')
})
