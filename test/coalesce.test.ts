import { EventEmitter, once } from 'node:events'
import { readFileSync, utimesSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import type { FileChange } from '../types/index.js'
import { BURST_WAIT_MS, createCoalescer, FORCED_FLUSH_GAP_MS, isPrompt, WATCHER_QUIET_MS } from '../lib/pipeline/coalesce.js'
import { holdEventLoop } from './helpers/loop.js'

holdEventLoop(t)

function flushes () {
  const events = new EventEmitter()
  const all: FileChange[][] = []
  return {
    all,
    onFlush: (changes: FileChange[]) => { all.push(changes); events.emit('flush', changes) },
    next: async () => (await once(events, 'flush'))[0] as FileChange[]
  }
}

t.test('changes pushed within the quiet window flush as one batch', async t => {
  const flushed = flushes()
  const coalescer = createCoalescer(30, 1000, flushed.onFlush)
  t.teardown(() => coalescer.close())
  const next = flushed.next()
  coalescer.push([{ path: '/a', type: 'update' }])
  coalescer.push([{ path: '/a', type: 'update' }, { path: '/b', type: 'create' }])
  t.same(await next, [{ path: '/a', type: 'update' }, { path: '/b', type: 'create' }])
  t.equal(flushed.all.length, 1)
})

t.test('several events for one path become their net effect', async t => {
  const cases: Array<[FileChange['type'][], FileChange['type']]> = [
    [['delete', 'create'], 'update'],
    [['create', 'update'], 'create'],
    [['update', 'delete'], 'delete']
  ]
  for (const [types, expected] of cases) {
    const flushed = flushes()
    const coalescer = createCoalescer(0, 1000, flushed.onFlush)
    const next = flushed.next()
    coalescer.push(types.map(type => ({ path: '/a', type })))
    t.same(await next, [{ path: '/a', type: expected }], types.join(' then '))
    coalescer.close()
  }
})

t.test('a file created and deleted within the window (an editor\'s temporary) is dropped', async t => {
  const flushed = flushes()
  const coalescer = createCoalescer(0, 1000, flushed.onFlush)
  t.teardown(() => coalescer.close())
  const next = flushed.next()
  coalescer.push([{ path: '/a.tmp', type: 'create' }, { path: '/a', type: 'update' }])
  coalescer.push([{ path: '/a.tmp', type: 'delete' }])
  t.same(await next, [{ path: '/a', type: 'update' }])
})

t.test('a stream that never goes quiet still flushes after the max wait', async t => {
  const flushed = flushes()
  // A quiet window longer than the test may run: only the 300 ms max wait can end the stream.
  const coalescer = createCoalescer(10 * 60_000, 300, flushed.onFlush)
  t.teardown(() => coalescer.close())
  const next = flushed.next()
  const pusher = setInterval(() => coalescer.push([{ path: '/a', type: 'update' }]), 20)
  t.teardown(() => clearInterval(pusher))
  t.same(await next, [{ path: '/a', type: 'update' }], 'flushed by the max wait')
  clearInterval(pusher)
})

t.test('held changes are handed to settle once quiet, not flushed', async t => {
  const flushed = flushes()
  const coalescer = createCoalescer(20, 1000, flushed.onFlush)
  t.teardown(() => coalescer.close())
  coalescer.hold()
  coalescer.push([{ path: '/a', type: 'update' }])
  const settled = coalescer.settle()
  coalescer.push([{ path: '/b', type: 'update' }])
  t.same(await settled, [{ path: '/a', type: 'update' }, { path: '/b', type: 'update' }])
  t.same(flushed.all, [], 'nothing flushed')

  const next = flushed.next()
  coalescer.push([{ path: '/c', type: 'update' }])
  t.same(await next, [{ path: '/c', type: 'update' }], 'flushing again after settle')
})

t.test('settle with nothing pending resolves empty after the window', async t => {
  const coalescer = createCoalescer(10, 1000, () => {})
  t.same(await coalescer.settle(), [])
  coalescer.close()
})

t.test('close drops pending changes and resolves a pending settle', async t => {
  const flushed = flushes()
  const coalescer = createCoalescer(0, 1000, flushed.onFlush)
  coalescer.hold()
  coalescer.push([{ path: '/a', type: 'update' }])
  const settled = coalescer.settle()
  coalescer.close()
  t.same(await settled, [])
  t.same(flushed.all, [])
})

t.test('activity after a first batch holds the flush across the watcher\'s 500 ms flushes', async t => {
  const dir = t.testdir({ 'a.html': 'a' })
  const flushed = flushes()
  const coalescer = createCoalescer(20, 5000, flushed.onFlush)
  t.teardown(() => coalescer.close())
  const started = Date.now()
  coalescer.push([{ path: join(dir, 'a.html'), type: 'update' }])
  // More writes in the same directory: the probe sees the burst go on.
  await writeFile(join(dir, 'b.html'), 'b')
  // The delay is the thing under test: the watcher's next forced flush comes about 500 ms
  // after its first batch, long after the 20 ms quiet window.
  await new Promise(resolve => setTimeout(resolve, FORCED_FLUSH_GAP_MS + 50))
  t.same(flushed.all, [], 'not flushed while the burst may go on')
  const next = flushed.next()
  coalescer.push([{ path: join(dir, 'b.html'), type: 'create' }])
  coalescer.push([{ path: join(dir, 'c.html'), type: 'create' }]) // a batch after a quiet spell ends it
  t.equal((await next).length, 3)
  t.ok(Date.now() - started < BURST_WAIT_MS * 3, 'ended by the batch after the quiet spell')
})

t.test('with an early window, a first batch after idle flushes without waiting the quiet window', async t => {
  const dir = t.testdir({ 'a.html': 'saved' })
  const flushed = flushes()
  // A quiet window of a minute: only the early flush can end this test in time.
  const coalescer = createCoalescer(60_000, 120_000, flushed.onFlush, { earlyMs: 1, lateMs: Infinity })
  t.teardown(() => coalescer.close())
  const next = flushed.next()
  coalescer.push([{ path: join(dir, 'a.html'), type: 'update' }])
  t.same(await next, [{ path: join(dir, 'a.html'), type: 'update' }])
})

t.test('an early flush of an empty file waits for its write (a truncate, then the write)', async t => {
  const dir = t.testdir({ 'a.html': '' })
  const file = join(dir, 'a.html')
  const contents: string[] = []
  const flushed = flushes()
  const coalescer = createCoalescer(60_000, 120_000, changes => {
    contents.push(readFileSync(file, 'utf8'))
    flushed.onFlush(changes)
  }, { earlyMs: 1, lateMs: Infinity })
  t.teardown(() => coalescer.close())
  const next = flushed.next()
  coalescer.push([{ path: file, type: 'update' }])
  await writeFile(file, 'written') // the probe sees the same file written: the save completes
  await next
  t.same(contents, ['written'], 'flushed once, with the content in place')
})

t.test('a batch handled long after its files were written is not flushed early', async t => {
  const dir = t.testdir({ 'old.html': 'x', 'new.html': 'y' })
  const old = join(dir, 'old.html')
  utimesSync(old, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))
  t.equal(isPrompt([{ path: old, type: 'update' }], Date.now(), 1000), false, 'a minute late: a burst may be hiding behind it')
  t.equal(isPrompt([{ path: join(dir, 'new.html'), type: 'update' }], Date.now(), 60_000), true)
  t.equal(isPrompt([{ path: join(dir, 'gone.html'), type: 'delete' }], Date.now(), 0), false, 'deletes alone: a clean or a checkout more often than a save')
  t.equal(isPrompt([{ path: join(dir, 'renamed-away.tmp'), type: 'create' }], Date.now(), 60_000), false, 'a temporary file gone again: its rename follows')
  const held = join(dir, 'new.html')
  const written = Date.now() - WATCHER_QUIET_MS
  utimesSync(held, new Date(written), new Date(written))
  t.equal(isPrompt([{ path: held, type: 'update' }], written + WATCHER_QUIET_MS, 3), true, 'held for the watcher\'s 50 ms of quiet, then handled at once')
  t.equal(isPrompt([{ path: held, type: 'update' }], written + 20, 3), false, 'neither at once nor after the quiet')
})
