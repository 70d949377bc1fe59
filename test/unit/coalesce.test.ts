// The coalescer's shell on a fake clock: real rules, fake files, no real timers.
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import { createCoalescer } from '../../lib/pipeline/coalesce.js'
import { BURST_QUIET_MAX_MS, BURST_QUIET_MS, burstQuiet, DISK_RECHECK_MAX_MS, DISK_STALL_MAX_MS, EARLY_MS, EMPTY_FILE_MS, UNDELIVERED_GIVE_UP_MS, WATCHER_FORCED_FLUSH_MS, WATCHER_QUIET_MS } from '../../lib/pipeline/coalesce-rules.js'
import { fakeWorld } from '../helpers/fake-world.js'

const QUIET_MS = 75
const MAX_WAIT_MS = 5000

function setup (options: { hasActivity?: boolean, root?: string } = {}) {
  const fake = fakeWorld()
  const flushed: FileChange[][] = []
  if (options.root !== undefined) fake.write(options.root)
  const coalescer = createCoalescer({ quietMs: QUIET_MS, maxWaitMs: MAX_WAIT_MS }, changes => flushed.push(changes), fake.world, options.root)
  const feed = coalescer.feed()
  if (options.hasActivity !== false) feed.onReady()
  /** A write the activity sees at once: the file, then its event. */
  const write = (path: string, size = 10): void => {
    const isNew = fake.world.stat(path) === undefined
    fake.write(path, size)
    feed.onActivity(path, isNew ? 'rename' : 'change')
  }
  const remove = (path: string): void => {
    fake.remove(path)
    feed.onActivity(path, 'rename')
  }
  const deliver = (...paths: string[]): void => {
    coalescer.push(paths.map(path => ({ path, type: fake.world.stat(path) === undefined ? 'delete' : 'update' })))
    fake.turn()
  }
  /** One sweep of a poller (the tree polled): what it finds, delivered at its end, 1 ms after it began. */
  const sweep = (...found: string[]): void => {
    feed.onSweepStart()
    fake.advance(1)
    if (found.length > 0) deliver(...found)
    feed.onSweepEnd()
    fake.turn()
  }
  /** A save: an existing file written in place, seen, then delivered by the watcher's first batch. */
  const save = (path: string): void => {
    fake.write(path)
    write(path)
    deliver(path)
  }
  return { fake, coalescer, feed, flushed, write, remove, deliver, save, sweep }
}

const update = (path: string): FileChange => ({ path, type: 'update' })

t.test('a save is sent after a couple of quiet milliseconds, not the quiet window', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/a.html') // a save writes a file that exists
  write('/site/a.html')
  deliver('/site/a.html')
  t.same(flushed, [], 'not at once: the next write of a checkout may be on its way')
  fake.advance(EARLY_MS)
  t.same(flushed, [[update('/site/a.html')]])
})

const firstFiles = [
  { name: 'where threads wait for a CPU, a first file is not sent alone: its writer may be one of them', isWaiting: true, perCpu: 2, pauseMs: 20 },
  // The watchers of three processes, woken by the first file, while its writer is held up in the kernel.
  { name: 'while others are at work, a first file waits a burst\'s quiet, though the time threads waited says nothing', isWaiting: false, perCpu: 2, pauseMs: 30 }
]
for (const { name, isWaiting, perCpu, pauseMs } of firstFiles) {
  t.test(name, async t => {
    const { fake, flushed, write, deliver, save } = setup()
    fake.contend(isWaiting, perCpu)
    save('/site/d0/0.html')
    fake.advance(pauseMs) // the checkout's writer, silent that long after its first file
    t.same(flushed, [], 'not sent after a save\'s couple of milliseconds')
    fake.contend(false)
    for (let i = 1; i < 10; i++) write(`/site/d0/${i}.html`)
    deliver(...Array.from({ length: 9 }, (_, i) => `/site/d0/${i + 1}.html`))
    fake.advance(2 * BURST_QUIET_MS)
    t.equal(flushed.length, 1, 'one flush')
    t.equal(flushed[0].length, 10, 'with the first file and the rest')
  })
}

t.test('where threads wait for a CPU, a real save is sent once quiet for its window where its writer could have run', async t => {
  const { fake, flushed, save } = setup()
  fake.contend(true)
  save('/site/a.html')
  fake.advance(30)
  t.same(flushed, [], 'threads waited all along: no quiet yet')
  fake.contend(false)
  fake.advance(EARLY_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html')]])
})

t.test('where threads never stop waiting for a CPU, a save is sent after a burst\'s longest quiet all the same', async t => {
  const { fake, flushed, save } = setup()
  fake.contend(true) // a machine kept busy: the time lost is always the whole silence
  save('/site/a.html')
  fake.advance(BURST_QUIET_MAX_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html')]])
})

t.test('a wait that its own decision outlasted is over: decided again at once, never a timer for a negative delay', async t => {
  const { fake, flushed, save } = setup()
  fake.slowDown(EARLY_MS + 1) // longer than the save's quiet, which the decision began before
  save('/site/a.html')
  t.same(flushed, [[update('/site/a.html')]], 'sent in the turn that delivered it')
})

t.test('where threads wait for a CPU, a burst\'s silence must last longer before it ends the burst', async t => {
  const { fake, flushed, write, deliver } = setup()
  const first = Array.from({ length: 10 }, (_, i) => `/site/d0/${i}.html`)
  for (const file of first) write(file)
  deliver(...first)
  fake.contend(true) // two busy loops and a test runner beside us, on 2 CPUs
  fake.advance(BURST_QUIET_MS + 40) // the writer, waiting for a CPU
  t.same(flushed, [], 'its silence is no evidence yet')
  const second = Array.from({ length: 10 }, (_, i) => `/site/d1/${i}.html`)
  for (const file of second) write(file)
  deliver(...second)
  fake.contend(false) // the burst is over: nobody waits for a CPU any more
  fake.advance(burstQuiet(BURST_QUIET_MS + 40, 0) - 1)
  t.same(flushed, [], 'the pause counts in the writer\'s rhythm')
  fake.advance(1)
  t.equal(flushed.length, 1, 'one flush')
  t.equal(flushed[0].length, 20)
})

t.test('while a thread is blocked on the disk, a burst\'s silence does not end it: a writer throttled by writeback', async t => {
  const { fake, flushed, write, deliver } = setup()
  const first = Array.from({ length: 10 }, (_, i) => `/site/d0/${i}.html`)
  for (const file of first) write(file)
  deliver(...first)
  fake.blockDisk(true) // the writer, waiting for a page under writeback: no CPU waited for
  fake.advance(BURST_QUIET_MS + 80)
  t.same(flushed, [], 'its silence is no evidence while it is blocked')
  fake.blockDisk(false)
  const second = Array.from({ length: 10 }, (_, i) => `/site/d1/${i}.html`)
  for (const file of second) write(file)
  deliver(...second)
  fake.advance(BURST_QUIET_MAX_MS)
  t.equal(flushed.length, 1, 'one flush')
  t.equal(flushed[0].length, 20)
  fake.blockDisk(true) // a disk that never frees up (a copy of gigabytes beside)
  write('/site/page.html')
  deliver('/site/page.html')
  fake.advance(BURST_QUIET_MS + DISK_STALL_MAX_MS - 1)
  t.equal(flushed.length, 1, 'the next write is held while the disk stays blocked')
  fake.advance(DISK_RECHECK_MAX_MS)
  t.equal(flushed.length, 2, '…for its quiet and the disk\'s longest stall, no longer')
})

t.test('a burst whose activity lost events ends only once the watcher has been silent past its forced flush', async t => {
  const { fake, coalescer, flushed, write, deliver } = setup()
  const seenFiles = Array.from({ length: 25 }, (_, i) => `/site/d0/${i}.html`)
  write(seenFiles[0])
  deliver(seenFiles[0])
  for (const file of seenFiles.slice(1)) { // the writer at work, every 20 ms
    fake.advance(20)
    write(file)
  }
  // The kernel queue overflowed meanwhile: the watcher's forced flush brings files the activity never saw.
  const lost = Array.from({ length: 10 }, (_, i) => `/site/d1/${i}.html`)
  for (const file of lost) fake.write(file)
  coalescer.push([...seenFiles.slice(1), ...lost].map(update))
  fake.turn()
  fake.advance(WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS - 1)
  t.same(flushed, [], 'the activity\'s silence proves nothing: the watcher may hold more it never saw')
  fake.advance(1)
  t.equal(flushed.length, 1, 'one flush')
  t.equal(flushed[0].length, 35)
})

t.test('rm -rf of the watched root: its deletions wait for it to come back, and go with what is written into it', async t => {
  const { fake, coalescer, feed, flushed, remove, deliver } = setup({ root: '/dist' })
  const old = ['/dist/index.html', '/dist/css/site.css']
  for (const file of old) fake.write(file)
  for (const file of old) remove(file)
  deliver(...old) // the files' deletions, in a batch before the directory's own
  fake.remove('/dist')
  feed.onUnavailable() // the activity follows no tree that is gone
  fake.advance(800) // the rebuild starts 800 ms later
  t.same(flushed, [], 'no message while the site is gone: browsers would land on a 404')
  fake.write('/dist') // back: whoever watches it says so
  coalescer.push([{ path: '/dist', type: 'update' }])
  fake.write('/dist/index.html')
  coalescer.push([{ path: '/dist/index.html', type: 'create' }])
  fake.turn()
  fake.advance(QUIET_MS)
  t.same(flushed, [[{ path: '/dist/index.html', type: 'update' }, { path: '/dist/css/site.css', type: 'delete' }, { path: '/dist', type: 'update' }]], 'one flush, once the rebuild went quiet')
})

t.test('a root deleted and made again at once waits for its watcher to say it is back, not for the disk', async t => {
  const { fake, coalescer, flushed, remove, deliver } = setup({ hasActivity: false, root: '/dist' })
  fake.write('/dist/index.html')
  remove('/dist/index.html')
  deliver('/dist/index.html')
  coalescer.awaitRoot() // the watcher saw the directory go
  fake.turn()
  fake.write('/dist') // mkdir at once; the watcher is not watching it yet
  fake.advance(1000)
  t.same(flushed, [], 'held: what is in the new directory is not known yet')
  coalescer.push([{ path: '/dist', type: 'update' }]) // watched again: the rescan
  fake.turn()
  fake.advance(QUIET_MS)
  t.same(flushed, [[{ path: '/dist/index.html', type: 'delete' }, { path: '/dist', type: 'update' }]])
})

t.test('rm -rf of the watched root that never comes back: its deletions go at the max wait', async t => {
  const { fake, feed, flushed, remove, deliver } = setup({ root: '/dist' })
  fake.write('/dist/index.html')
  remove('/dist/index.html')
  deliver('/dist/index.html')
  fake.remove('/dist')
  feed.onUnavailable()
  fake.advance(MAX_WAIT_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[{ path: '/dist/index.html', type: 'delete' }]])
})

t.test('deletions inside a root that stays are half a replacement, as before', async t => {
  const { fake, flushed, remove, deliver } = setup({ root: '/dist' })
  fake.write('/dist/old.html')
  remove('/dist/old.html')
  deliver('/dist/old.html')
  fake.advance(BURST_QUIET_MAX_MS)
  t.same(flushed, [[{ path: '/dist/old.html', type: 'delete' }]])
})

t.test('without activity, a path reported deleted that exists again at the flush goes as an update', async t => {
  const { fake, coalescer, flushed } = setup({ hasActivity: false })
  coalescer.push([{ path: '/site/a.html', type: 'delete' }, { path: '/site/b.html', type: 'delete' }])
  fake.turn()
  fake.write('/site/a.html') // written again; the watcher has not said so (yet)
  fake.advance(QUIET_MS)
  t.same(flushed, [[update('/site/a.html'), { path: '/site/b.html', type: 'delete' }]])
})

t.test('a save caught between its truncate and its write is sent once the write lands', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/a.html')
  write('/site/a.html', 0) // the truncate
  deliver('/site/a.html')
  fake.advance(QUIET_MS - 1)
  t.same(flushed, [], 'an empty file waits')
  write('/site/a.html', 10) // the write
  fake.advance(EARLY_MS)
  t.same(flushed, [[update('/site/a.html')]], 'sent a save\'s quiet after the write, not a quiet window')
})

t.test('a save caught between its truncate and its write, the watcher holding it, is sent once the write lands', async t => {
  const { fake, flushed, write } = setup()
  fake.write('/site/a.html')
  write('/site/a.html', 0) // the truncate: the activity sees it, the watcher says nothing yet
  fake.advance(QUIET_MS)
  t.same(flushed, [], 'an empty file waits')
  write('/site/a.html', 10) // the write
  fake.advance(EARLY_MS)
  t.same(flushed, [[update('/site/a.html')]], 'sent a save\'s quiet after the write')
})

t.test('a file that stays empty is sent once it has stayed so a while', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/empty.txt')
  write('/site/empty.txt', 0)
  deliver('/site/empty.txt')
  fake.advance(EMPTY_FILE_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[update('/site/empty.txt')]])
})

t.test('a burst that moves on to other directories is one flush, however long the watcher holds it', async t => {
  const { fake, flushed, write, deliver } = setup()
  const files = Array.from({ length: 60 }, (_, i) => `/site/d${i % 3}/f${i}.html`)
  write(files[0])
  deliver(files[0]) // the watcher's first batch: at once
  for (const file of files.slice(1)) {
    fake.advance(0.5)
    write(file)
  }
  fake.advance(UNDELIVERED_GIVE_UP_MS - 1)
  t.same(flushed, [], 'the watcher still holds most of it: not over')
  deliver(...files.slice(1)) // the watcher's late flush: everything delivered, long quiet
  t.equal(flushed.length, 1, 'flushed as soon as the last of it is delivered')
  t.equal(flushed[0].length, 60)
})

t.test('a burst ends BURST_QUIET_MS after its last write once everything is delivered', async t => {
  const { fake, flushed, write, deliver } = setup()
  const files = Array.from({ length: 10 }, (_, i) => `/site/f${i}.html`)
  for (const file of files) write(file)
  deliver(...files)
  fake.advance(BURST_QUIET_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.equal(flushed.length, 1)
})

t.test('waves 30 ms apart are one burst: the pause between them asks for twice its length', async t => {
  const { fake, flushed, write, deliver } = setup()
  for (let wave = 0; wave < 3; wave++) {
    const files = Array.from({ length: 5 }, (_, i) => `/site/w${wave}-${i}.html`)
    for (const file of files) write(file)
    deliver(...files)
    fake.advance(BURST_QUIET_MS - 10) // 30 ms: shorter than a burst's quiet
  }
  t.same(flushed, [])
  fake.advance(60)
  t.equal(flushed.length, 1)
  t.equal(flushed[0].length, 15)
})

t.test('the watcher\'s late copy of a save already sent is dropped; a new write of it is news', async t => {
  const { fake, flushed, write, deliver } = setup()
  write('/site/a.html')
  deliver('/site/a.html')
  fake.advance(EARLY_MS)
  deliver('/site/a.html') // the same save's second batch (truncate and write fell either side of a flush)
  fake.advance(10_000)
  t.equal(flushed.length, 1, 'nothing more')
  write('/site/a.html')
  deliver('/site/a.html')
  fake.advance(EARLY_MS)
  t.equal(flushed.length, 2)
})

t.test('a temporary file renamed over its target is not waited for', async t => {
  const { fake, flushed, write, remove, deliver } = setup()
  write('/site/a.html.tmp')
  remove('/site/a.html.tmp') // renamed away...
  write('/site/a.html') // ...over the target
  deliver('/site/a.html') // the watcher folded the temporary file's create and delete into nothing
  fake.advance(EARLY_MS)
  t.same(flushed, [[update('/site/a.html')]])
})

t.test('a save by rename whose first batch holds only the temporary file is sent once the rename is seen', async t => {
  const { fake, coalescer, feed, flushed } = setup()
  fake.write('/site/a.html', 10)
  fake.advance(1000)
  fake.write('/site/a.html.tmp', 10)
  feed.onActivity('/site/a.html.tmp', 'rename')
  coalescer.push([{ path: '/site/a.html.tmp', type: 'create' }]) // the watcher's first batch, at once
  fake.turn()
  fake.advance(EARLY_MS)
  t.same(flushed, [], 'a lone new file: the page may be renamed over next')
  fake.remove('/site/a.html.tmp') // renamed...
  feed.onActivity('/site/a.html.tmp', 'rename')
  fake.write('/site/a.html', 12) // ...over the page
  feed.onActivity('/site/a.html', 'rename')
  fake.turn()
  fake.advance(EARLY_MS)
  t.same(flushed, [[{ path: '/site/a.html', type: 'create' }]], 'sent a save\'s quiet after the rename, the page taken from the activity')
  coalescer.push([{ path: '/site/a.html.tmp', type: 'delete' }, { path: '/site/a.html', type: 'create' }]) // the watcher's second batch, 50 ms on
  fake.turn()
  fake.advance(1000)
  t.equal(flushed.length, 1, 'its late copy is stale')
})

t.test('a write the watcher never delivers is waited for, then taken from the activity', async t => {
  const { fake, flushed, write, deliver } = setup()
  write('/site/new/early.html') // written before the watcher watched its new directory
  write('/site/a.html')
  deliver('/site/a.html')
  fake.advance(UNDELIVERED_GIVE_UP_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html'), { path: '/site/new/early.html', type: 'create' }]])
})

t.test('writes the watcher never delivers at all are taken from the activity once the watcher has been silent past its forced flush', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/a.html')
  fake.write('/site/b.html')
  write('/site/a.html')
  write('/site/b.html')
  fake.advance(WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS - 1)
  t.same(flushed, [], 'the watcher may still deliver them')
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html'), update('/site/b.html')]])
  deliver('/site/a.html', '/site/b.html') // the watcher, very late after all
  fake.advance(10_000)
  t.equal(flushed.length, 1, 'its copy is stale')
})

t.test('a save the watcher has not delivered is sent from the activity after a save\'s quiet, however long ago its last batch came', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/a.html')
  write('/site/a.html')
  fake.advance(EARLY_MS - 1)
  t.same(flushed, [], 'not at once, though no batch ever came to say how late we are: it may be a burst\'s first file')
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html')]], 'sent a save\'s quiet after the write')
  deliver('/site/a.html') // the watcher's copy, 50 ms on
  fake.advance(10_000)
  t.equal(flushed.length, 1, 'its copy is stale')
})

t.test('a write the activity missed, of a path a recent flush carried, is a change: soon after, and on CPUs that stay busy, long after', async t => {
  for (const isBusy of [false, true]) {
    const { fake, flushed, write, deliver } = setup()
    fake.contend(isBusy)
    write('/site/a.html')
    deliver('/site/a.html')
    fake.advance(1000)
    t.same(flushed, [[update('/site/a.html')]])
    fake.write('/site/a.html', 20) // a write the activity did not see (events the kernel dropped, say)
    deliver('/site/a.html') // within the watcher's forced flush of that flush: its size says it is news
    fake.advance(1000)
    t.same(flushed.at(-1), [update('/site/a.html')], `${isBusy ? 'busy' : 'idle'}: a new size, soon after`)
    write('/site/b.html')
    deliver('/site/b.html')
    fake.advance(60_000) // threads waited all along on busy CPUs: no waiting stretches the window for good
    fake.write('/site/b.html', 30)
    deliver('/site/b.html')
    fake.advance(5000)
    t.same(flushed.at(-1), [update('/site/b.html')], `${isBusy ? 'busy' : 'idle'}: a minute later`)
    t.equal(flushed.length, 4)
  }
})

t.test('a new write of a path just sent, delivered a turn before the activity saw it, is not lost', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/a.html')
  write('/site/a.html')
  deliver('/site/a.html')
  fake.advance(EARLY_MS)
  t.equal(flushed.length, 1)
  fake.advance(1000)
  deliver('/site/a.html') // the next save's batch, taken for the last one's late copy...
  write('/site/a.html') // ...because the activity's event came a turn after it
  fake.advance(WATCHER_FORCED_FLUSH_MS + WATCHER_QUIET_MS)
  t.same(flushed, [[update('/site/a.html')], [update('/site/a.html')]])
})

t.test('a write the watcher lost is not waited for once its batch after the quiet has come without it', async t => {
  const { fake, flushed, write, deliver } = setup()
  write('/site/new/early.html') // written before the watcher watched its new directory
  write('/site/a.html')
  fake.advance(WATCHER_QUIET_MS)
  deliver('/site/a.html') // the watcher's flush after its quiet: all it has
  t.same(flushed, [[update('/site/a.html'), { path: '/site/new/early.html', type: 'create' }]])
})

t.test('rm -rf out && cp -r a out: the removals wait for the copy, however long cp takes to start', async t => {
  const { fake, flushed, write, remove, deliver } = setup()
  const files = Array.from({ length: 20 }, (_, i) => `/site/out/f${i}.html`)
  for (const file of files) fake.write(file, 10)
  for (const file of files) remove(file)
  deliver(...files)
  fake.advance(120) // cp kept off the CPU: more than twice a burst's own quiet
  t.same(flushed, [], 'the tree is gone: half a replacement')
  for (const file of files) write(file)
  deliver(...files)
  fake.advance(burstQuiet(120, 0) - 1)
  t.same(flushed, [], 'a writer that paused 120 ms may pause again')
  fake.advance(1)
  t.equal(flushed.length, 1, 'one flush')
  t.same(flushed[0], files.map(update), 'removed and written again: updates')
})

t.test('removals that nothing replaces are sent after the longest quiet a burst may ask for', async t => {
  const { fake, flushed, remove, deliver } = setup()
  fake.write('/site/old.html', 10)
  remove('/site/old.html')
  deliver('/site/old.html')
  fake.advance(BURST_QUIET_MAX_MS - 1)
  t.same(flushed, [])
  fake.advance(1)
  t.same(flushed, [[{ path: '/site/old.html', type: 'delete' }]])
})

t.test('settle hands over everything the build wrote at once, what the watcher still holds included', async t => {
  const { fake, coalescer, flushed, write, remove, deliver } = setup()
  fake.write('/out/old.html')
  fake.write('/out/kept.html')
  coalescer.hold()
  write('/out/a.html')
  write('/out/b.html')
  write('/out/kept.html') // rewritten in place
  remove('/out/old.html')
  deliver('/out/a.html')
  fake.advance(10)
  const settled = coalescer.settle()
  fake.turn()
  t.same(await settled, [
    { path: '/out/a.html', type: 'update' },
    { path: '/out/b.html', type: 'create' },
    { path: '/out/kept.html', type: 'update' },
    { path: '/out/old.html', type: 'delete' }
  ], 'b.html, kept.html and old.html from the activity and the disk')
  deliver('/out/b.html', '/out/kept.html', '/out/old.html') // the watcher's late copies
  fake.advance(10_000)
  t.same(flushed, [], 'dropped as stale')

  fake.write('/out/c.html')
  write('/out/c.html')
  deliver('/out/c.html')
  fake.advance(EARLY_MS)
  t.same(flushed, [[{ path: '/out/c.html', type: 'update' }]], 'flushing again after settle')
})

t.test('settle after a build that wrote nothing resolves empty at once', async t => {
  const { fake, coalescer } = setup()
  coalescer.hold()
  const settled = coalescer.settle()
  fake.turn()
  t.same(await settled, [])
})

t.test('without activity evidence, the quiet window decides', async t => {
  for (const [name, hasActivity] of [['no tree ready yet', false], ['a tree lost', true]] as const) {
    const { fake, flushed, feed, write, deliver } = setup({ hasActivity })
    if (hasActivity) feed.onUnavailable()
    write('/site/a.html')
    deliver('/site/a.html')
    fake.advance(QUIET_MS - 1)
    t.same(flushed, [], name)
    fake.advance(1)
    t.same(flushed, [[update('/site/a.html')]], name)
  }
})

t.test('a polled tree: a quiet proves nothing until a sweep that began after the last change has ended', async t => {
  const { fake, flushed, sweep } = setup({ hasActivity: false, root: '/dist' })
  fake.write('/dist/index.html')
  fake.remove('/dist/index.html') // rm -rf, seen half-way: the file gone, its directory not yet
  sweep('/dist/index.html')
  fake.advance(10 * QUIET_MS) // a poller slowed down: its next sweep starts late
  t.same(flushed, [], 'the sweep that saw the file go began before it went: no look since')
  fake.remove('/dist')
  sweep('/dist/index.html', '/dist') // the next one finds the directory gone too
  fake.advance(MAX_WAIT_MS / 2)
  t.same(flushed, [], 'the root is gone: its deletions wait for its return')
})

t.test('a polled tree\'s change is sent at the end of a sweep after it that found nothing more, once the quiet window has passed', async t => {
  const { fake, flushed, sweep } = setup({ hasActivity: false })
  fake.write('/site/a.html')
  sweep('/site/a.html')
  fake.advance(QUIET_MS)
  t.same(flushed, [], 'past the quiet window, no sweep since')
  fake.advance(25)
  sweep()
  t.same(flushed, [[update('/site/a.html')]], 'at the end of the sweep that found nothing more')
  fake.write('/site/b.html')
  sweep('/site/b.html')
  sweep()
  t.same(flushed.length, 1, 'swept again at once: the quiet window still applies')
  fake.advance(QUIET_MS)
  t.same(flushed, [[update('/site/a.html')], [update('/site/b.html')]])
})

t.test('a poller that fails sweeps no more: the quiet window decides again', async t => {
  const { fake, flushed, feed, deliver } = setup({ hasActivity: false })
  feed.onSweepStart()
  fake.advance(1)
  fake.write('/site/a.html')
  deliver('/site/a.html')
  feed.onSweepEnd()
  feed.onUnavailable()
  fake.advance(QUIET_MS)
  t.same(flushed, [[update('/site/a.html')]])
})

t.test('settle without activity evidence waits the quiet window, at least the give-up time', async t => {
  const { fake, coalescer, deliver } = setup({ hasActivity: false })
  coalescer.hold()
  fake.write('/out/a.html')
  deliver('/out/a.html')
  let settled: FileChange[] | undefined
  coalescer.settle().then(changes => { settled = changes }, t.error)
  fake.advance(UNDELIVERED_GIVE_UP_MS - 1)
  await null
  t.equal(settled, undefined)
  fake.advance(1)
  await null
  t.same(settled, [update('/out/a.html')])
})

t.test('a stream that never goes quiet (one file written again and again) is flushed after the max wait', async t => {
  const { fake, flushed, write, deliver } = setup()
  fake.write('/site/log.txt')
  for (let ms = 0; ms <= MAX_WAIT_MS + 10; ms += 10) {
    write('/site/log.txt')
    deliver('/site/log.txt')
    fake.advance(10)
  }
  t.same(flushed.map(changes => changes.length), [1, 1], 'the first write, after a pause, is a save; the stream then waits the max wait')
})

t.test('a burst that keeps writing new files is waited out past the max wait', async t => {
  const { fake, flushed, write, deliver } = setup()
  const files = Array.from({ length: 800 }, (_, i) => `/site/f${i}.html`) // 8 s at 10 ms a file
  for (const [i, file] of files.entries()) {
    write(file)
    if (i % 50 === 49) deliver(...files.slice(i - 49, i + 1)) // the watcher's forced flushes
    fake.advance(10)
  }
  t.same(flushed, [], 'still writing new files at 8 s')
  fake.advance(BURST_QUIET_MS)
  t.same(flushed.map(changes => changes.length), [800])
})

t.test('close resolves a waiting settle with nothing and flushes nothing', async t => {
  const { fake, coalescer, flushed, write, deliver } = setup()
  coalescer.hold()
  write('/out/a.html')
  write('/out/b.html')
  deliver('/out/a.html')
  const settled = coalescer.settle()
  coalescer.close()
  deliver('/out/b.html')
  fake.advance(10_000)
  t.same(await settled, [])
  t.same(flushed, [])
})

t.test('a created file deleted before the flush nets to nothing and sends nothing', async t => {
  const { fake, coalescer, flushed, feed } = setup()
  fake.write('/site/x.tmp')
  feed.onActivity('/site/x.tmp', 'rename')
  coalescer.push([{ path: '/site/x.tmp', type: 'create' }])
  fake.remove('/site/x.tmp')
  feed.onActivity('/site/x.tmp', 'rename')
  coalescer.push([{ path: '/site/x.tmp', type: 'delete' }])
  fake.advance(10_000)
  t.same(flushed, [])
})

t.test('a save the watcher holds for its quiet (its last batch came less than its forced flush ago) is sent from the activity after a save\'s quiet', async t => {
  const { fake, flushed, save, write, deliver } = setup()
  save('/site/a.html')
  fake.advance(EARLY_MS)
  fake.advance(BURST_QUIET_MAX_MS + 50) // a pause: the next write is a save, not a stream
  fake.write('/site/b.html') // a page that exists, written in place
  write('/site/b.html')
  fake.advance(EARLY_MS - 1)
  t.equal(flushed.length, 1)
  fake.advance(1)
  t.same(flushed, [[update('/site/a.html')], [update('/site/b.html')]], 'not after the watcher\'s 50 ms')
  fake.advance(WATCHER_QUIET_MS - EARLY_MS)
  deliver('/site/b.html') // the watcher's copy: stale
  fake.advance(1000)
  t.equal(flushed.length, 2)
})
