// The whole chain with real parts: a real watcher on temp dirs, a builder writing real files,
// a real server on a loopback port and a real WebSocket client.
import { EventEmitter, once } from 'node:events'
import { rename, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import type { BuildContext, BuildReport, LiveReloadOptions } from '../../types/index.js'
import { connectLiveReload } from '../../lib/testing.js'
import { copyBuilder } from '../helpers/copy-builder.js'
import { harness } from '../helpers/harness.js'
import { logLines } from '../helpers/log.js'
import { recorder } from '../helpers/recorder.js'
import { writeFromThread } from '../helpers/writer-thread.js'

/** Editors save by rename: a reader never sees the file half written (a truncate alone is a change too). */
async function save (file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp~`, text)
  await rename(`${file}.tmp~`, file)
}

async function project (t: Test, opts: Partial<LiveReloadOptions> = {}, files: Record<string, string> = { 'index.txt': 'one' }) {
  const reports = recorder<BuildReport>()
  const { app, dir } = await harness(t, {
    files: { src: files, dist: {} },
    options: dir => {
      const src = join(dir, 'src')
      const dist = join(dir, 'dist')
      return { root: dist, watch: src, builder: copyBuilder(src, dist), onBuildEnd: reports.add, ...opts }
    },
    listen: false
  })
  return { app, src: join(dir, 'src'), dist: join(dir, 'dist'), nextReport: reports.next }
}

t.test('the start-up build runs before the server is ready', async t => {
  const { app } = await project(t)
  const page = await app.inject('/index.html')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'one')
  t.match(app.liveReload.stats(), { builds: 1, failures: 0, building: false })
})

t.test('a first start, before the output directory exists: made, built and served, without a warning', async t => {
  const { logger, lines } = logLines('info')
  const { app } = await harness(t, {
    files: { src: { 'index.txt': 'one' } },
    options: dir => ({ root: join(dir, 'dist'), watch: join(dir, 'src'), builder: copyBuilder(join(dir, 'src'), join(dir, 'dist')) }),
    fastify: { logger },
    listen: false
  })
  t.match((await app.inject('/index.html')).body, 'one')
  t.same(lines.filter(line => line.level >= 40).map(line => line.msg), [], 'nothing is wrong: no warning')
  t.same(app.liveReload.stats().watched.length, 2, 'both directories watched from the start')
})

t.test('a source change runs one build, then one reload once the output is written', async t => {
  const { app, src } = await project(t)
  const client = await connectLiveReload(app, { transport: 'socket' })
  const reload = client.next('reload')
  await save(join(src, 'index.txt'), 'two')
  const message = await reload
  t.same(message, { type: 'reload', paths: ['/index.html'] })
  const { port } = app.server.address() as AddressInfo
  t.match(await (await fetch(`http://127.0.0.1:${port}/index.html`)).text(), 'two', 'the new page is served when the reload arrives')
  t.same(client.messages.map(m => m.type), ['hello', 'building', 'reload'])
  t.equal(app.liveReload.stats().builds, 2)
})

t.test('a burst of 10,000 source files makes exactly one build', async t => {
  const { app, src, nextReport } = await project(t)
  const report = nextReport()
  // From another thread, as a generator or a checkout in another process writes.
  await writeFromThread(Array.from({ length: 10_000 }, (_, i) => [join(src, `p${i}.txt`), `p${i}`]))
  const first = await report
  // Any second build of the burst would come before the build of a later, separate change.
  const marker = nextReport()
  await writeFile(join(src, 'marker.txt'), 'marker')
  const next = await marker
  t.equal(first.changes.length, 10_000, 'one build with every file')
  t.same(next.changes.map(c => basename(c)), ['marker.txt'], 'the build after it holds only the marker')
  t.equal(app.liveReload.stats().builds, 3, 'start-up, the burst, the marker')
})

t.test('a failing build sends the error, keeps serving, and the fix reloads', async t => {
  const { app, src } = await project(t)
  const client = await connectLiveReload(app, { transport: 'socket' })
  const error = client.next('error')
  await save(join(src, 'index.txt'), 'broken')
  t.match(await error, { type: 'error', errors: [{ message: 'cannot build index.txt', line: 1 }] })
  t.equal((await app.inject('/index.html')).statusCode, 200, 'still serving the last good page')

  const reload = client.next('reload')
  await save(join(src, 'index.txt'), 'fixed')
  await reload
  const types = client.messages.map(m => m.type)
  t.same(types.slice(types.indexOf('error')), ['error', 'building', 'reload'], 'nothing reloaded while the error stood')
  t.equal(app.liveReload.stats().lastErrors, null)
})

t.test('a build whose output is byte-identical sends nothing', async t => {
  const { app, src, nextReport } = await project(t)
  const client = await connectLiveReload(app, { transport: 'socket' })
  const report = nextReport()
  await save(join(src, 'index.txt'), 'one') // same text: same output bytes
  t.equal((await report).sent, 'none')
  t.same(client.messages.map(m => m.type), ['hello', 'building'])
})

t.test('without a builder a change in a watched source reloads', async t => {
  const { app, dir: views } = await harness(t, { files: { 'page.eta': 'a' }, options: dir => ({ root: false, watch: dir }), listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })
  const reload = client.next('reload')
  await writeFile(join(views, 'page.eta'), 'b')
  t.same(await reload, { type: 'reload', paths: [] })
})

t.test('without a root, a build that names no outputs reloads: what it wrote, the app serves', async t => {
  const { app, dir: src } = await harness(t, {
    files: { 'site.css': 'a' },
    options: dir => ({ root: false, watch: dir, buildOnStart: false, builder: async () => {} }),
    listen: false
  })
  const client = await connectLiveReload(app, { transport: 'socket' })
  const reload = client.next('reload')
  await writeFile(join(src, 'site.css'), 'b')
  t.same(await reload, { type: 'reload', paths: [] })
})

t.test('a single watched file is watched alone', async t => {
  const { app, dir } = await harness(t, { files: { 'layout.html': 'a', 'other.html': 'x' }, options: dir => ({ root: false, watch: join(dir, 'layout.html') }), listen: false })
  const client = await connectLiveReload(app, { transport: 'socket' })
  await writeFile(join(dir, 'other.html'), 'y')
  const reload = client.next('reload')
  await writeFile(join(dir, 'layout.html'), 'b')
  await reload
  t.same(client.messages.map(m => m.type), ['hello', 'reload'], 'the other file in its directory changed nothing')
})

t.test('the output directory inside a source tree is not a source', async t => {
  const reports = recorder<BuildReport>()
  const { app, dir } = await harness(t, {
    files: { site: { 'index.txt': 'one', dist: {} } },
    options: dir => {
      const site = join(dir, 'site')
      return { root: join(site, 'dist'), watch: site, builder: copyBuilder(site, join(site, 'dist')), onBuildEnd: reports.add }
    },
    listen: false
  })
  const site = join(dir, 'site')
  const client = await connectLiveReload(app, { transport: 'socket' })
  const report = reports.next()
  const reload = client.next('reload')
  await writeFile(join(site, 'index.txt'), 'two')
  t.same((await report).changes.map(c => basename(c)), ['index.txt'])
  await reload
  // The build's own write into dist/ would show up as a further build: a later change proves none came.
  const marker = reports.next()
  await writeFile(join(site, 'marker.txt'), 'm')
  t.same((await marker).changes.map(c => basename(c)), ['marker.txt'])
  t.equal(app.liveReload.stats().builds, 3)
})

t.test('closing during a build aborts it and resolves once the build has ended', async t => {
  const started = new EventEmitter()
  const events: string[] = []
  const { app } = await harness(t, {
    options: {
      buildOnStart: false,
      builder: async ({ signal }: BuildContext) => {
        started.emit('start')
        await once(signal, 'abort') // a build that only ends when aborted: close() can only resolve by aborting it
        events.push('build aborted')
      }
    },
    listen: false
  })
  const isStarted = once(started, 'start')
  const report = app.liveReload.build()
  await isStarted
  await app.close()
  events.push('app closed')
  t.same(events, ['build aborted', 'app closed'], 'close aborted the build and waited for it to end')
  t.match(await report, { ok: false })
})
