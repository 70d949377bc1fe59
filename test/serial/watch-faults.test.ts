// What a workstation does to a watcher: directories deleted under it, a watcher that reports an
// error. Real @parcel/watcher on real directories, a real server and a real WebSocket client.
import { EventEmitter, once } from 'node:events'
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import watcher from '@parcel/watcher'
import t from 'tap'
import { resolveOptions } from '../../lib/options.js'
import { ownThreadsReady } from '../../lib/pressure.js'
import { connectLiveReload } from '../../lib/testing.js'
import { subscribeResiliently, type Subscribe } from '../../lib/watch/subscription.js'
import { createWatchContext, watchDirectory } from '../../lib/watch/watch.js'
import { realWorld } from '../../lib/world.js'
import type { BuildContext, FileChange } from '../../types/index.js'
import { within } from '../helpers/eventually.js'
import { fixture } from '../helpers/fixture.js'
import { harness } from '../helpers/harness.js'
import { collectingLogger } from '../helpers/log.js'
import { holdEventLoop } from '../helpers/loop.js'
import { withoutTrackerInThreads } from '../helpers/threads.js'
import { watchedRoot } from '../helpers/watched-root.js'

holdEventLoop(t)

t.test('a deleted root is reported, watched again once recreated, and the next edit reloads', async t => {
  const { app, dist, log, client } = await watchedRoot(t)

  const deleted = log.next(line => /deleted/.test(line.msg))
  await rm(dist, { recursive: true })
  t.match(await deleted, { level: 40, dir: 'dist', msg: 'the watched directory was deleted: watching resumes when it exists again' })

  const rescan = client.next('reload') // what happened in between is unknown: browsers reload
  await mkdir(dist)
  t.same(await rescan, { type: 'reload', paths: [] })

  const edit = client.next('reload')
  await writeFile(join(dist, 'index.html'), '<h1>two</h1>')
  t.same(await edit, { type: 'reload', paths: ['/index.html'] })
  t.match((await app.inject('/index.html')).body, '<h1>two</h1>')
})

/** Where descriptor `fd` of this process leads ('' once it is closed). */
function readTarget (fd: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`)
  } catch {
    return ''
  }
}

/**
 * This process's open descriptors, but for its live threads' /proc/self/task/<tid>/stat, which
 * lib/pressure.ts opens once each, the first time a decision finds the machine busy (in any
 * cycle of a test), and keeps. Those of threads that ended (a worker's, the inotify probe's) it
 * closes on its next read of them, which may fall in any cycle too (a run counted two fewer
 * after the cycles than before): that read is made first, so they count only where it leaves one.
 */
function countDescriptors (): number {
  ownThreadsReady()
  const threads = new Set(readdirSync('/proc/self/task'))
  return readdirSync('/proc/self/fd').filter(fd => !threads.has(/^\/proc\/\d+\/task\/(\d+)\/stat$/.exec(readTarget(fd))?.[1] ?? '')).length
}

t.test('clean rebuilds of the root leak no file descriptor', async t => {
  const { dist, log, client } = await watchedRoot(t)
  const cycle = async (): Promise<void> => {
    const deleted = log.next(line => /deleted/.test(line.msg))
    await rm(dist, { recursive: true })
    await deleted
    const rescan = client.next('reload')
    await mkdir(dist)
    await writeFile(join(dist, 'index.html'), '<h1>again</h1>')
    await rescan
  }
  await cycle() // whatever a first cycle opens once
  const before = countDescriptors()
  for (let i = 0; i < 4; i++) await cycle() // the leak was one pipe per cycle
  t.equal(countDescriptors(), before, '@parcel/watcher leaked a pipe per cycle when its last subscription ended')
})

t.test('a deleted source tree, recreated, runs one full build; the next edit builds and reloads', async t => {
  const builds = new EventEmitter()
  const { app, dir } = await harness(t, {
    files: { src: { 'a.txt': 'a', pages: {} }, dist: {} },
    options: dir => ({
      root: join(dir, 'dist'),
      watch: join(dir, 'src', 'pages'),
      buildOnStart: false,
      builder: (ctx: BuildContext) => {
        builds.emit('build', { full: ctx.full, changes: ctx.changes.map(change => change.path) })
        return { reload: 'page' }
      }
    }),
    listen: false
  })
  const src = join(dir, 'src', 'pages') // two levels go away and come back
  const client = await connectLiveReload(app, { transport: 'socket' })

  await rm(join(dir, 'src'), { recursive: true })
  const full = once(builds, 'build')
  const fullReload = client.next('reload')
  await mkdir(src, { recursive: true })
  t.same((await full)[0], { full: true, changes: [] })
  await fullReload

  const edit = once(builds, 'build')
  const editReload = client.next('reload')
  await writeFile(join(src, 'b.txt'), 'b')
  t.same((await edit)[0], { full: false, changes: [join(src, 'b.txt')] })
  await editReload
})

t.test('a watcher error: logged, one rescan, a fresh subscription that delivers the next edit', async t => {
  const dir = fixture(t)
  const callbacks: watcher.SubscribeCallback[] = []
  let unsubscribed = 0
  // The real watcher, with a hand on its callback: the kernel gives no way to make it fail on cue.
  const subscribe: Subscribe = async (path, callback, opts) => {
    const subscription = await watcher.subscribe(path, callback, opts)
    if (path !== dir) return subscription // what keeps the watcher's backend up meanwhile
    callbacks.push(callback)
    return { unsubscribe: async () => { unsubscribed++; await subscription.unsubscribe() } }
  }
  const log = collectingLogger('info')
  const ctx = createWatchContext(resolveOptions(), log.log, { subscribe })
  const batches = new EventEmitter()
  const lost = new EventEmitter()
  const changes: FileChange[][] = []
  const watching = await watchDirectory(dir, {
    onChanges: batch => { changes.push(batch); batches.emit('batch', batch) },
    onLost: () => { lost.emit('lost') }
  }, ctx)
  t.teardown(() => watching?.close())

  const rescan = once(lost, 'lost')
  callbacks[0](new Error('Events were dropped by the FSEvents client. File system must be re-scanned.'), [])
  await rescan
  t.equal(callbacks.length, 2, 'subscribed afresh')
  t.equal(unsubscribed, 1, 'the failed subscription is released')
  t.match(log.lines, [{ level: 40, err: { message: /re-scanned/ }, msg: /events may be lost/ }, { level: 30, msg: /watching again/ }])

  const batch = once(batches, 'batch')
  await writeFile(join(dir, 'a.html'), 'x')
  t.same((await batch)[0], [{ path: join(dir, 'a.html'), type: 'create' }])
  callbacks[0](null, [{ path: join(dir, 'late.html'), type: 'update' }])
  t.same(changes.flat().map(change => change.path), [join(dir, 'a.html')], 'the old subscription is not listened to')
})

t.test('a deleted directory the watcher never reports is heard from the activity, once, and watched again', async t => {
  const dir = fixture(t, { 'a.html': 'a' })
  // The real watcher, minus its delete event for the directory itself: once, it never came.
  const subscribe: Subscribe = async (path, callback, opts) => await watcher.subscribe(path, (err, events) => {
    callback(err, events.filter(event => !(event.path === dir && event.type === 'delete')))
  }, opts)
  const log = collectingLogger('info')
  const ctx = createWatchContext(resolveOptions(), log.log, { subscribe })
  const events = new EventEmitter()
  const noEvidence = { onReady () {}, onActivity () {}, onUnavailable () {}, onSweepStart () {}, onSweepEnd () {} }
  const watching = await watchDirectory(dir, {
    onChanges: batch => { events.emit('batch', batch) },
    onGone: () => { events.emit('gone') },
    onLost: () => { events.emit('lost') },
    activity: noEvidence
  }, ctx)
  t.teardown(() => watching?.close())

  const gone = once(events, 'gone')
  await rm(dir, { recursive: true })
  await gone
  const back = once(events, 'lost')
  await mkdir(dir)
  await back
  t.equal(log.lines.filter(line => /deleted/.test(line.msg)).length, 1, 'reported once')

  const batch = once(events, 'batch')
  await writeFile(join(dir, 'b.html'), 'b')
  t.same((await batch)[0], [{ path: join(dir, 'b.html'), type: 'create' }])
})

t.test('a tree deleted and made again before the watcher has read its deletion is watched whole again', async t => {
  const root = fixture(t)
  const log = collectingLogger('debug')
  // Told at once, as the activity's own watch tells it, while the watcher's thread may not have
  // read the deletion yet: the old subscription, let go then, failed halfway and left the new one
  // watching nothing, in 1 to 4 of 40 new subscriptions before the fence.
  for (let i = 0; i < 40; i++) {
    const dir = join(root, `site-${i}`)
    mkdirSync(join(dir, 'css'), { recursive: true })
    for (let f = 0; f < 50; f++) writeFileSync(join(dir, 'css', `${f}.css`), 'a') // its deletion: events to read
    const events = new EventEmitter()
    const subscription = await subscribeResiliently({
      dir,
      subscribe: watcher.subscribe,
      ignore: [],
      onEvents: batch => { events.emit('events', batch) },
      onLost: () => { events.emit('lost') },
      onFailed: err => { events.emit('error', err) },
      log: log.log,
      timers: realWorld
    })
    const lost = once(events, 'lost')
    rmSync(dir, { recursive: true })
    subscription.gone()
    mkdirSync(join(dir, 'css'), { recursive: true })
    await lost
    const batch = once(events, 'events', { signal: AbortSignal.timeout(5000) }).then(([events]) => events, () => 'no event in 5 s')
    await writeFile(join(dir, 'css', 'b.css'), 'b')
    t.same(await batch, [{ path: join(dir, 'css', 'b.css'), type: 'create' }], `${i}: the new tree is watched`)
    await subscription.close()
  }
  t.same(log.lines.filter(line => line.msg === 'watcher already gone'), [], 'every old subscription was let go whole')
})

t.test('a recovery lets go of the old subscription only once the watcher has read what was queued before', async t => {
  const dir = join(fixture(t, { site: {} }), 'site')
  const order: string[] = []
  let made = 0
  // The real watcher, with a record of when the old subscription is let go, and of the event of
  // the held directory's fence (the other directory subscribed).
  const subscribe: Subscribe = async (path, callback, opts) => {
    if (path !== dir) return await watcher.subscribe(path, (err, events) => { order.push('fence read'); callback(err, events) }, opts)
    const own = made++
    const subscription = await watcher.subscribe(path, callback, opts)
    order.push(`subscribed ${own}`)
    return { unsubscribe: async () => { order.push(`let go ${own}`); await subscription.unsubscribe() } }
  }
  const events = new EventEmitter()
  const log = collectingLogger('info')
  const subscription = await subscribeResiliently({
    dir, subscribe, ignore: [], onEvents () {}, onLost: () => { events.emit('lost') }, onFailed: err => { events.emit('error', err) }, log: log.log, timers: realWorld
  })
  t.teardown(() => subscription.close())
  const lost = once(events, 'lost')
  subscription.gone()
  await lost
  t.same(order, ['subscribed 0', 'fence read', 'let go 0', 'subscribed 1'])
})

t.test('a walk that meets a vanished directory is made again; past three at start, the start goes on and the walks go on in the background', async t => {
  t.setTimeout(60_000) // a guard: a subscription that never held would wait for the edit forever
  // The real watcher, behind the failures it gives a walk that meets a directory gone by the time
  // it gets there (its own words, seen beside a thread churning directories): a test below
  // shows them with real churn, which a loaded machine makes rare.
  const root = fixture(t, { a: { keep: { f: 'x' } }, b: { keep: { f: 'x' } } })
  for (const [failures, where, dir] of [[2, 'at start', join(root, 'a')], [5, 'in the background', join(root, 'b')]] as const) {
    let calls = 0
    const subscribe: Subscribe = async (path, callback, opts) => {
      if (path === dir && ++calls <= failures) {
        throw new Error(calls % 2 === 1 ? `inotify_add_watch on '${join(dir, `tmp${calls}`)}' failed: No such file or directory` : 'No such file or directory')
      }
      return await watcher.subscribe(path, callback, opts)
    }
    const log = collectingLogger('info')
    const batches = new EventEmitter()
    const isHeld = (line: { msg: string }): boolean => /watching again/.test(line.msg)
    const watching = await watchDirectory(dir, { onChanges: batch => batches.emit('batch', batch), onLost: () => {} }, createWatchContext(resolveOptions(), log.log, { subscribe }))
    t.teardown(() => watching?.close())
    if (where === 'in the background') {
      t.ok(log.lines.some(line => /keep vanishing/.test(line.msg)), 'the start went on after three walks')
      if (!log.lines.some(isHeld)) await log.next(isHeld)
    }
    t.equal(calls, failures + 1, `${where}: walked again until one held`)
    t.match(log.lines, [{ level: 30, msg: /vanished while the watcher walked/ }], 'said once, at info')
    t.notOk(log.lines.some(line => line.level >= 40), 'no warning')
    const edited = join(dir, 'keep', 'f')
    const arrived = once(batches, 'batch')
    await writeFile(edited, 'y')
    t.same((await arrived)[0], [{ path: edited, type: 'update' }], `${where}: the edit after is delivered`)
  }
})

t.test('a close while a walk goes on in the background returns once that walk is let go', async t => {
  // A walk still running when close() returned made a subscription nobody closed, beside the next
  // start's (the churn test below: that start heard nothing, once in a CI run). The real watcher,
  // behind three failed walks and a fourth held in flight.
  const dir = fixture(t, { keep: { f: 'x' } })
  const order: string[] = []
  let calls = 0
  let letWalk = (): void => {}
  const walking = new Promise<void>(resolve => { letWalk = resolve })
  const subscribe: Subscribe = async (path, callback, opts) => {
    if (++calls <= 3) throw new Error(`inotify_add_watch on '${join(dir, 'tmp')}' failed: No such file or directory`)
    await walking
    const subscription = await watcher.subscribe(path, callback, opts)
    order.push('subscribed')
    return { unsubscribe: async () => { await subscription.unsubscribe(); order.push('let go') } }
  }
  const log = collectingLogger('info')
  const watching = await watchDirectory(dir, { onChanges () {}, onLost () {} }, createWatchContext(resolveOptions(), log.log, { subscribe }))
  t.equal(calls, 4, 'the start went on, its fourth walk in flight')
  const closed = watching?.close().then(() => order.push('closed'))
  letWalk()
  await closed
  t.same(order, ['subscribed', 'let go', 'closed'])
})

t.test('two watchers of one directory, started at once, subscribe one after the other and both hear an edit', async t => {
  // Two subscriptions made at once share @parcel/watcher's watcher, and a failed walk of the first
  // left the second deaf (24 of 26 such pairs beside a churning thread): never at once.
  const dir = fixture(t, { keep: { f: 'x' } })
  let inFlight = 0
  let most = 0
  const subscribe: Subscribe = async (path, callback, opts) => {
    most = Math.max(most, ++inFlight)
    try { return await watcher.subscribe(path, callback, opts) } finally { inFlight-- }
  }
  const edited = join(dir, 'keep', 'f')
  const hear = async (): Promise<{ heard: Promise<unknown[]> }> => {
    const batches = new EventEmitter()
    const heard = once(batches, 'batch')
    const watching = await watchDirectory(dir, { onChanges: batch => batches.emit('batch', batch), onLost () {} }, createWatchContext(resolveOptions(), collectingLogger('info').log, { subscribe }))
    t.teardown(() => watching?.close())
    return { heard }
  }
  const both = await Promise.all([hear(), hear()])
  t.equal(most, 1, 'one subscription at a time')
  await writeFile(edited, 'y')
  for (const [i, { heard }] of both.entries()) t.same((await heard)[0], [{ path: edited, type: 'update' }], `watcher ${i + 1} heard the edit`)
})

t.test('a start while a thread makes and deletes directories inside: no warning, and the edit after is delivered', async t => {
  t.setTimeout(60_000) // a guard: a start that watches nothing would wait for the edit forever
  // 200 directories to walk, and a thread that makes and deletes 20 others as fast as it can (a
  // build's temp dirs): idle, about half the watcher's walks meet one that is gone by then (with
  // two busy loops beside, few: the test above makes those failures for certain).
  const dir = fixture(t, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`keep${i}`, { f: 'x' }])))
  withoutTrackerInThreads()
  const churn = new Worker(`const { mkdirSync, rmSync } = require('node:fs')
    const { workerData: dir } = require('node:worker_threads')
    const end = Date.now() + 120000
    for (let i = 0; i < 1e7 && Date.now() < end; i++) {
      const made = dir + '/tmp' + (i % 20)
      try { mkdirSync(made + '/a/b', { recursive: true }); rmSync(made, { recursive: true, force: true }) } catch {}
    }`, { eval: true, workerData: dir })
  t.teardown(() => churn.terminate())

  const batches = new EventEmitter()
  let raced = 0
  let watching: Awaited<ReturnType<typeof watchDirectory>> | undefined
  let log = collectingLogger('info')
  for (let start = 1; start <= 5; start++) {
    await watching?.close()
    log = collectingLogger('info')
    watching = await watchDirectory(dir, { onChanges: batch => batches.emit('batch', batch), onLost: () => {} }, createWatchContext(resolveOptions(), log.log, { subscribe: watcher.subscribe }))
    t.same(log.lines.filter(line => line.level >= 40).map(line => [line.msg, (line.err as { message?: string } | undefined)?.message]), [], `start ${start}: no warning`)
    if (log.lines.some(line => /vanished while the watcher walked/.test(line.msg))) raced++
  }
  t.teardown(() => watching?.close())
  t.comment(`${raced} of 5 starts met a vanished directory`)
  const isHeld = (line: { msg: string }): boolean => /watching again/.test(line.msg)
  const held = log.lines.some(line => /keep vanishing/.test(line.msg)) && !log.lines.some(isHeld) ? log.next(isHeld) : Promise.resolve()
  await churn.terminate()
  // Each wait says, if it does not end (a loaded run once reached the guard above), which one it
  // was and what the last start's watcher had logged.
  const said = (): string => `; the watcher said ${JSON.stringify(log.lines.map(line => line.msg))}`
  await within<unknown>(held, '"watching again" after the churn stopped', 20_000, said)

  const edited = join(dir, 'keep7', 'f')
  const arrived = new Promise<void>(resolve => batches.on('batch', (batch: FileChange[]) => { if (batch.some(change => change.path === edited)) resolve() }))
  await writeFile(edited, 'y')
  await within(arrived, 'the edit of keep7/f delivered', 20_000, said)
  t.notOk(log.lines.some(line => line.level >= 40), 'no warning meanwhile')
})
