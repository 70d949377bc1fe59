import { watch } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { kindOfNow } from '../paths.js'
import { later, realWorld, type World } from '../world.js'

/** When the ancestor cannot be watched (an inotify limit), look again this often (ms). */
const RECHECK_MS = 1000

export const isDirectory = (path: string): boolean => kindOfNow(path) === 'directory'

/**
 * Resolves once `dir` exists as a directory (or `signal` aborts). Waits on events, not a busy
 * poll: it watches the nearest ancestor that exists, non-recursively, and moves down one level
 * each time the next one appears, so `rm -rf a/b/c` then `mkdir -p a/b/c` is followed.
 */
export async function awaitDirectory (dir: string, signal: AbortSignal, timers: Pick<World, 'setTimer' | 'clearTimer'> = realWorld): Promise<void> {
  while (!signal.aborted && !isDirectory(dir)) {
    let ancestor = dirname(dir)
    while (!isDirectory(ancestor) && dirname(ancestor) !== ancestor) ancestor = dirname(ancestor)
    const next = join(ancestor, relative(ancestor, dir).split(sep)[0])
    await new Promise<void>(resolve => {
      let cancel = (): void => {}
      let watcher: ReturnType<typeof watch> | undefined
      const done = (): void => {
        cancel()
        watcher?.close()
        signal.removeEventListener('abort', done)
        resolve()
      }
      // It may have aborted while the checks above were awaited: a listener added now never runs.
      if (signal.aborted) return done()
      signal.addEventListener('abort', done)
      try {
        watcher = watch(ancestor, { persistent: false }, done)
        watcher.on('error', done)
      } catch { /* c8 ignore start: no inotify watch left for the ancestor */
        cancel = later(timers, done, RECHECK_MS)
      } /* c8 ignore stop */
      // It may have appeared between the check above and the watch.
      if (isDirectory(next)) done()
    })
  }
}
