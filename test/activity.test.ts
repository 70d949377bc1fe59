// The coalescer's evidence: every write anywhere in the tree, reported at once. Real files, real inotify.
import { EventEmitter, once } from 'node:events'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { MAX_ACTIVITY_DIRS, watchActivity, type ActivityHandlers } from '../lib/watch/activity.js'
import { fixture } from './helpers/fixture.js'
import { holdEventLoop } from './helpers/loop.js'

holdEventLoop(t)

function recorder () {
  const events = new EventEmitter()
  const seen: string[] = []
  const handlers: ActivityHandlers = {
    onReady: () => events.emit('ready'),
    onActivity: path => { seen.push(path); events.emit('activity', path) },
    onUnavailable: () => events.emit('unavailable')
  }
  /** Resolves once `path` has been reported. */
  const saw = async (path: string): Promise<void> => {
    while (!seen.includes(path)) await once(events, 'activity')
  }
  return { events, seen, handlers, saw }
}

/** Follows `dir` until the test ends; resolves once its tree is watched. */
async function follow (t: Test, dir: string, isIgnored: (path: string) => boolean = () => false) {
  const record = recorder()
  const ready = once(record.events, 'ready')
  const activity = watchActivity(dir, isIgnored, record.handlers)
  t.teardown(() => activity.close())
  await ready
  return record
}

t.test('a write in any directory of the tree is reported, deep ones included', async t => {
  const dir = fixture(t, { 'index.html': 'a', a: { b: { 'deep.html': 'x' } }, other: {} })
  const { saw } = await follow(t, dir)
  await writeFile(join(dir, 'a/b/deep.html'), 'y')
  await saw(join(dir, 'a/b/deep.html'))
  await writeFile(join(dir, 'other/new.html'), 'y')
  await saw(join(dir, 'other/new.html'))
  t.pass('both reported')
})

t.test('a new directory is followed at once, and what was written into it before counts', async t => {
  const dir = fixture(t, {})
  const { saw } = await follow(t, dir)
  // Made elsewhere and moved in whole: nothing below it was ever watched.
  await mkdir(join(dir, '..', 'staged/inner'), { recursive: true })
  await writeFile(join(dir, '..', 'staged/inner/early.html'), 'x')
  await rename(join(dir, '..', 'staged'), join(dir, 'moved'))
  await saw(join(dir, 'moved/inner/early.html'))
  await writeFile(join(dir, 'moved/inner/late.html'), 'y')
  await saw(join(dir, 'moved/inner/late.html'))
  t.pass('the files before and after the directory was followed')
})

t.test('a directory removed and made again is followed again, whether its removal was read first or not (rm -rf && cp -r)', async t => {
  const dir = fixture(t, { out: { 'a.html': 'a' } })
  const { saw } = await follow(t, dir)
  for (const round of [1, 2, 3]) {
    if (round === 1) {
      await rm(join(dir, 'out'), { recursive: true })
      await saw(join(dir, 'out'))
    } else {
      rmSync(join(dir, 'out'), { recursive: true }) // synchronous: the removal is read only once the new directory exists
    }
    mkdirSync(join(dir, 'out/inner'), { recursive: true })
    writeFileSync(join(dir, 'out/inner/copied.html'), String(round))
    await saw(join(dir, 'out/inner/copied.html'))
    await writeFile(join(dir, `out/inner/later-${round}.html`), 'x')
    await saw(join(dir, `out/inner/later-${round}.html`))
  }
  t.pass('the new directory\'s writes reported in every round')
})

t.test('an event on a watched directory itself is reported as that directory', async t => {
  const dir = fixture(t, { sub: { 'a.html': 'a' } })
  const { seen, saw } = await follow(t, dir)
  await chmod(join(dir, 'sub'), 0o700) // its attributes: an event on its own watch, named after itself
  await writeFile(join(dir, 'marker.html'), 'm')
  await saw(join(dir, 'marker.html'))
  t.ok(seen.includes(join(dir, 'sub')))
  t.notOk(seen.includes(join(dir, 'sub', 'sub')), 'never as a child of itself')
  // libuv reports a directory's attribute change as a rename: the same directory, not a new one.
  t.notOk(seen.includes(join(dir, 'sub', 'a.html')), 'its files are not reported again')
})

t.test('ignored paths are neither reported nor descended into', async t => {
  const dir = fixture(t, { node_modules: { 'dep.js': 'x' }, 'page.html': 'a' })
  const { seen, saw } = await follow(t, dir, path => path.includes('node_modules') || path.endsWith('.swp'))
  await writeFile(join(dir, 'node_modules/dep.js'), 'y')
  await writeFile(join(dir, '.page.html.swp'), 'swap')
  await writeFile(join(dir, 'page.html'), 'b') // reported after the others, if they were
  await saw(join(dir, 'page.html'))
  t.same(seen.filter(path => path !== join(dir, 'page.html')), [], 'nothing but the page')
})

t.test('a deleted root leaves the activity unavailable; a missing one never makes it ready', async t => {
  const dir = fixture(t, { site: { 'a.html': 'a' } })
  const { events } = await follow(t, join(dir, 'site'))
  const unavailable = once(events, 'unavailable')
  await rm(join(dir, 'site'), { recursive: true })
  await unavailable

  const missing = recorder()
  const gone = once(missing.events, 'unavailable')
  watchActivity(join(dir, 'never'), () => false, missing.handlers)
  await gone
  t.pass('unavailable both times')
})

t.test(`a tree of more than ${MAX_ACTIVITY_DIRS} directories is not followed`, async t => {
  const dir = fixture(t, {})
  await Promise.all(Array.from({ length: MAX_ACTIVITY_DIRS + 1 }, async (_, i) => await mkdir(join(dir, `d${i}`))))
  const { events, handlers } = recorder()
  const unavailable = once(events, 'unavailable')
  const activity = watchActivity(dir, () => false, handlers)
  t.teardown(() => activity.close())
  await unavailable
  t.pass('the coalescer falls back to quiet windows')
})
