// How editors save: never in place. Each way must reach the pipeline as one `update` of the
// target, and nothing else. Real files, the real watcher, the real coalescer.
import { EventEmitter, once } from 'node:events'
import { open, rename, unlink, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import t from 'tap'
import type { FileChange } from '../../types/index.js'
import { createCoalescer } from '../../lib/pipeline/coalesce.js'
import { resolveOptions } from '../../lib/options.js'
import { DEFAULT_DEBOUNCE_MS } from '../../lib/pipeline/options.js'
import { MAX_WAIT_MS } from '../../lib/pipeline/coalesce-rules.js'
import { createWatchContext, watchDirectory } from '../../lib/watch/watch.js'
import { fixture } from '../helpers/fixture.js'
import { collectingLogger, type LogLine } from '../helpers/log.js'
import { holdEventLoop } from '../helpers/loop.js'

holdEventLoop(t)

/**
 * Each step's bound (ms): far past what a step takes on a loaded machine (a flush comes within a
 * second), so that a step that never ends fails here, with what the watcher logged, instead of
 * hanging the process (one loaded run did, once, cause unknown).
 */
const STEP_MS = 20_000

async function bounded<T> (step: string, promise: Promise<T>, lines: LogLine[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${step}: not within ${STEP_MS} ms; the watcher logged ${JSON.stringify(lines.map(line => line.msg))}`)), STEP_MS)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

// A rename over an existing file is reported by inotify (IN_MOVED_TO) and @parcel/watcher as a
// `create`: nothing in the events says the target existed. The other saves net to an `update`.
const saves: Record<string, (file: string) => Promise<void>> = {
  'temp file, then rename over the target (write-file-atomic, VS Code)': async file => {
    await writeFile(`${file}.3f9a1c`, 'new')
    await rename(`${file}.3f9a1c`, file)
  },
  'delete, then create': async file => {
    await unlink(file)
    await writeFile(file, 'new')
  },
  'vim: probe file 4913, swap file, rename to a ~ backup, write, remove the backup': async file => {
    await writeFile(join(file, '..', '.index.html.swp'), 'swap')
    await writeFile(join(file, '..', '4913'), '')
    await unlink(join(file, '..', '4913'))
    await rename(file, `${file}~`)
    await writeFile(file, 'new')
    await unlink(`${file}~`)
    await unlink(join(file, '..', '.index.html.swp'))
  },
  'JetBrains: write a ___jb_tmp___, move the old one to ___jb_old___, rename, delete': async file => {
    await writeFile(`${file}___jb_tmp___`, 'new')
    await rename(file, `${file}___jb_old___`)
    await rename(`${file}___jb_tmp___`, file)
    await unlink(`${file}___jb_old___`)
  },
  // Not an editor: a script's writeFile in place, which opens (truncating), writes and closes in
  // three turns of its event loop; a busy process comes back to the write late. The wait stands
  // for that: past the quiet window (75 ms), within what a file caught empty is given (250 ms).
  'in place, from a writer whose event loop is away between its truncate and its write': async file => {
    const handle = await open(file, 'w')
    await sleep(100) // the thing under test: the writer away between its truncate and its write
    await handle.writeFile('new')
    await handle.close()
  }
}

for (const [editor, save] of Object.entries(saves)) {
  const type = editor.startsWith('temp file') ? 'create' : 'update'
  t.test(`${editor}: one ${type} of the target`, async t => {
    const dir = fixture(t, { 'index.html': 'old', 'other.html': 'x' })
    const flushes = new EventEmitter()
    const flushed: FileChange[][] = []
    const coalescer = createCoalescer({ quietMs: DEFAULT_DEBOUNCE_MS, maxWaitMs: MAX_WAIT_MS }, changes => { flushed.push(changes); flushes.emit('flush', changes) })
    t.teardown(() => coalescer.close())
    const { log, lines } = collectingLogger()
    const watcher = await bounded('watching', watchDirectory(dir, { onChanges: changes => coalescer.push(changes), onLost: () => {}, activity: coalescer.feed() }, createWatchContext(resolveOptions(), log)), lines)
    t.teardown(async () => await bounded('closing the watcher', watcher?.close() ?? Promise.resolve(), lines))

    const first = once(flushes, 'flush')
    await save(join(dir, 'index.html'))
    t.same((await bounded('the save\'s flush', first, lines))[0], [{ path: join(dir, 'index.html'), type }])
    // Anything the save left behind would arrive before, or with, this marker.
    const marker = once(flushes, 'flush')
    await writeFile(join(dir, 'other.html'), 'y')
    t.same((await bounded('the marker\'s flush', marker, lines))[0], [{ path: join(dir, 'other.html'), type: 'update' }])
    t.equal(flushed.length, 2)
  })
}
