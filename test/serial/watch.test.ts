import { EventEmitter, once } from 'node:events'
import { symlinkSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join, sep } from 'node:path'
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import { resolveOptions } from '../../lib/options.js'
import { createWatchContext, nativeIgnore, toChanges, watchDirectory, watchSource } from '../../lib/watch/watch.js'
import { fixture } from '../helpers/fixture.js'
import { collectingLogger } from '../helpers/log.js'
import { holdEventLoop } from '../helpers/loop.js'
import { recorder } from '../helpers/recorder.js'

holdEventLoop(t)

/** A watch context with the default options (or `opts`) and a log whose lines are collected. */
function context (opts: Parameters<typeof resolveOptions>[0] = {}) {
  const { log, lines } = collectingLogger()
  return { ctx: createWatchContext(resolveOptions(opts), log), lines }
}
const handlers = (onChanges: (changes: FileChange[]) => void = () => {}, onLost = () => {}) => ({ onChanges, onLost })

/** Collects every batch; `next()` resolves with the next one (start waiting before acting). */
const batches = () => recorder<FileChange[]>()

t.test('a write in the watched directory arrives as a change with its absolute path', async t => {
  const dir = fixture(t, { 'index.html': '<h1>x</h1>' })
  const received = batches()
  const watcher = await watchDirectory(dir, handlers(received.add), context().ctx)
  t.teardown(() => watcher?.close())
  const batch = received.next()
  await writeFile(join(dir, 'index.html'), '<h1>y</h1>')
  t.same(await batch, [{ path: join(dir, 'index.html'), type: 'update' }])
})

t.test('a directory that is a symbolic link is watched where it leads, its changes named under the link', async t => {
  const dir = fixture(t, { site: { 'index.html': '<h1>x</h1>' } })
  const link = join(dir, 'linked')
  symlinkSync(join(dir, 'site'), link)
  const { ctx, lines } = context()
  const received = batches()
  const watcher = await watchDirectory(link, handlers(received.add), ctx)
  t.teardown(() => watcher?.close())
  t.ok(watcher, `watched (the log: ${JSON.stringify(lines)})`)
  const batch = received.next()
  await writeFile(join(dir, 'site', 'index.html'), '<h1>y</h1>')
  t.same(await batch, [{ path: join(link, 'index.html'), type: 'update' }])
})

t.test('a source that is a symbolic link keeps the output inside it out, named under the link', async t => {
  const dir = fixture(t, { project: { src: {}, out: {} } })
  const link = join(dir, 'linked')
  symlinkSync(join(dir, 'project'), link)
  const received = batches()
  const watcher = await watchSource(link, join(link, 'out'), handlers(received.add), context().ctx)
  t.teardown(() => watcher?.close())
  await writeFile(join(dir, 'project', 'out', 'index.html'), 'built') // the output, written first: had it got through, it would come first
  const batch = received.next()
  await writeFile(join(dir, 'project', 'src', 'page.md'), 'source')
  t.same((await batch).map(change => change.path), [join(link, 'src', 'page.md')])
  t.same(received.all.flat().filter(change => change.path.includes(`${sep}out${sep}`)), [], 'nothing of the output, ever')
})

t.test('a directory under a symbolic link leaves out a file ignored by its real path (the server\'s own log, as /proc names it)', async t => {
  const dir = fixture(t, { project: { site: {} } })
  symlinkSync(join(dir, 'project'), join(dir, 'linked'))
  const site = join(dir, 'linked', 'site')
  const received = batches()
  const watcher = await watchDirectory(site, handlers(received.add), context({ ignore: [join(dir, 'project', 'site', 'server.log')] }).ctx)
  t.teardown(() => watcher?.close())
  await writeFile(join(site, 'server.log'), 'a line')
  const batch = received.next()
  await writeFile(join(site, 'page.html'), 'page')
  t.same((await batch).map(change => change.path), [join(site, 'page.html')])
  t.same(received.all.flat().filter(change => change.path.endsWith('server.log')), [])
})

t.test('default and user ignores, globs and RegExps, keep their files out: editors\' and generators\' own', async t => {
  const dir = fixture(t, { sub: {}, node_modules: { pkg: {} }, html: { '.doctrees': {} } })
  const received = batches()
  const { ctx } = context({ ignore: ['**/*.map', /^sub\/skip-/] })
  const watcher = await watchDirectory(dir, handlers(received.add), ctx)
  t.teardown(() => watcher?.close())
  const generators = ['html/.doctrees/index.doctree', 'html/.buildinfo', '.jekyll-metadata']
  for (const file of ['node_modules/pkg/index.js', 'page.html.swp', 'app.js.map', 'sub/skip-me.html', 'page.html~', ...generators]) {
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
  const dir = fixture(t, { app: { node_modules: { pkg: {} }, '.git': {} } })
  const received = batches()
  const watcher = await watchDirectory(dir, handlers(received.add), context().ctx)
  t.teardown(() => watcher?.close())
  for (const file of ['app/node_modules/pkg/index.js', 'app/.git/HEAD', 'app/#page.html#', 'app/.#page.html']) {
    await writeFile(join(dir, file), 'x')
  }
  const batch = received.next()
  await writeFile(join(dir, 'app/kept.html'), 'x')
  t.ok((await batch).some(change => change.path === join(dir, 'app/kept.html')))
  t.same(received.all.flat().map(change => change.path).filter(path => !path.endsWith('kept.html')), [])
})

t.test('a missing directory is a warning, and watched once it is created', async t => {
  const parent = fixture(t, {})
  const dir = join(parent, 'later', 'dist')
  const { ctx, lines } = context()
  const received = batches()
  const lost = new EventEmitter()
  const watcher = await watchDirectory(dir, handlers(received.add, () => lost.emit('lost')), ctx)
  t.teardown(() => watcher?.close())
  t.match(lines, [{ level: 40, msg: /does not exist/ }])
  const watching = once(lost, 'lost') // files made before the subscription are unknown: rescan
  await mkdir(dir, { recursive: true })
  await watching
  const batch = received.next()
  await writeFile(join(dir, 'index.html'), 'x')
  t.same(await batch, [{ path: join(dir, 'index.html'), type: 'create' }])
})

t.test('a file in place of the directory is a warning too', async t => {
  const dir = fixture(t, { file: 'x' })
  const { ctx, lines } = context()
  const watcher = await watchDirectory(join(dir, 'file'), handlers(), ctx)
  t.teardown(() => watcher?.close())
  t.match(lines, [{ level: 40, msg: /does not exist/ }])
})

t.test('a subscription failure is logged with a coded error and the server goes on', async t => {
  const dir = fixture(t, {})
  const { log, lines } = collectingLogger()
  // A directory the watcher refuses, in its words. Run as root, inotify refuses hardly any: the
  // one this test used, /proc/self, was refused for being a link, which is now followed (above).
  const refused = new Error(`inotify_add_watch on '${dir}' failed: Permission denied`)
  const ctx = createWatchContext(resolveOptions({}), log, { subscribe: async () => { throw refused } })
  const watcher = await watchDirectory(dir, handlers(), ctx)
  t.equal(watcher, null)
  t.match(lines, [{ level: 40, err: { code: 'FST_LIVERELOAD_WATCH_FAILED', message: /cannot watch ".*": inotify_add_watch on '.*' failed: Permission denied/ } }])
})

t.test('an exception thrown while handling events is logged, never thrown into native code', async t => {
  const dir = fixture(t, {})
  const { ctx, lines } = context()
  const uncaught: unknown[] = []
  const onUncaught = (err: unknown) => { uncaught.push(err) }
  // Ours runs first and keeps the process alive, so a regression is counted rather than fatal.
  process.prependListener('uncaughtException', onUncaught)
  t.teardown(() => { process.removeListener('uncaughtException', onUncaught) })
  const thrown = new EventEmitter()
  const watcher = await watchDirectory(dir, handlers(() => {
    thrown.emit('thrown')
    throw new Error('handler bug')
  }), ctx)
  t.teardown(() => watcher?.close())
  const handled = once(thrown, 'thrown')
  await writeFile(join(dir, 'a.html'), 'x')
  await handled
  await new Promise(resolve => setImmediate(resolve)) // let the native callback return
  t.same(uncaught, [], 'no uncaughtException')
  t.match(lines.at(-1), { level: 50, err: { message: 'handler bug' }, msg: 'failed to handle file events' })
})

t.test('close is idempotent', async t => {
  const dir = fixture(t)
  const watcher = await watchDirectory(dir, handlers(), context().ctx)
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
