// The plugin on a world of the test's (lib/plugin.ts takes one; the package's entry gives it the
// real one): a real app, a real @parcel/watcher on a real directory and a real socket to the
// browser's channel, on a fake clock. What the watcher reports waits for the test to move the
// clock; then the coalescer, the build and the outputs' settle run, and the message arrives.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import type { BuildContext } from '../types/index.js'
import { connectLiveReload } from '../lib/testing.js'
import { realWorld } from '../lib/world.js'
import { eventually } from './helpers/eventually.js'
import { fakeWorld } from './helpers/fake-world.js'
import { harness } from './helpers/harness.js'

/**
 * The fake clock and timers, and the real files (the watcher's are real): their mtimes are the
 * epoch's, so the wall clock is the real one moved on by what the test has advanced.
 */
function fakeClock () {
  const fake = fakeWorld()
  const start = fake.now
  return { fake, world: { ...fake.world, stat: realWorld.stat, files: realWorld.files, wallNow: () => Date.now() + fake.now - start } }
}

/**
 * Moves the fake clock from timer to timer, each one's work let run, until `isDone`; where no
 * timer is set before `horizon` (the hub's heartbeat, 30 s after a client connected: the clients'
 * answers to it are the real world's), waits for the real world (the watcher's batch, the
 * builder) to set one.
 */
async function runUntil (fake: ReturnType<typeof fakeWorld>, isDone: () => boolean, horizon: number): Promise<void> {
  for (let step = 0; step < 1000 && !isDone(); step++) {
    await eventually(() => { fake.turn(); return isDone() || fake.nextTimerAt() < horizon }, 10_000, 'a timer set, or the end')
    if (!isDone()) fake.advance(fake.nextTimerAt() - fake.now)
    await new Promise(resolve => setImmediate(resolve)) // what the timers' work resolved
  }
}

t.test('a save on a fake clock: heard from the real watcher, sent once the test moves the clock past the wait', async t => {
  const { fake, world } = fakeClock()
  const { app, dir } = await harness(t, { files: { 'index.html': '<h1>one</h1>', 'site.css': 'h1 {}' }, world })
  const client = await connectLiveReload(app, { transport: 'socket' })
  const heartbeat = fake.nextTimerAt()
  t.equal(heartbeat - fake.now, 30_000, 'the hub\'s heartbeat is on the fake clock too')
  const css = client.next('css')
  writeFileSync(join(dir, 'site.css'), 'h1 { color: red }')
  // The watcher's batch (or the activity's event) arrives on the real event loop; what the
  // coalescer decides of it waits on the fake clock's timers.
  await eventually(() => { fake.turn(); return fake.nextTimerAt() < heartbeat }, 10_000, 'the save heard')
  const heardAt = fake.now
  t.equal(app.liveReload.stats().messages, 0, 'nothing sent while the clock stands')
  await runUntil(fake, () => app.liveReload.stats().messages > 0, heartbeat)
  t.same(await css, { type: 'css', paths: ['/site.css'] }, 'one stylesheet swap')
  t.ok(fake.now > heardAt, `sent ${fake.now - heardAt} ms of the fake clock after it was heard`)
})

t.test('a source saved on a fake clock: built once, its outputs settled, one reload', async t => {
  const { fake, world } = fakeClock()
  const builds: string[] = []
  const { app, dir } = await harness(t, {
    files: { src: { 'page.md': 'one' }, dist: { 'index.html': '<p>one</p>' } },
    world,
    options: dir => ({
      root: join(dir, 'dist'),
      watch: join(dir, 'src'),
      buildOnStart: false,
      builder: async (ctx: BuildContext) => {
        builds.push(ctx.changes.map(change => change.path.slice(dir.length)).join(','))
        mkdirSync(join(dir, 'dist'), { recursive: true })
        writeFileSync(join(dir, 'dist', 'index.html'), '<p>two</p>')
      }
    })
  })
  const client = await connectLiveReload(app, { transport: 'socket' })
  const heartbeat = fake.nextTimerAt()
  t.equal(heartbeat - fake.now, 30_000, 'no timer but the hub\'s heartbeat')
  const reload = client.next('reload')
  writeFileSync(join(dir, 'src', 'page.md'), 'two')
  await runUntil(fake, () => app.liveReload.stats().messages > 1, heartbeat) // building, then the reload
  t.same(await reload, { type: 'reload', paths: ['/index.html'] }, 'the page reloads')
  t.same(client.messages.slice(1).map(message => message.type), ['building', 'reload'], 'after its building notice, nothing else')
  t.same(builds, ['/src/page.md'], 'one build, of the saved source')
})
