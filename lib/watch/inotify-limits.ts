import { Worker } from 'node:worker_threads'

export type InotifyLimit = 'fs.inotify.max_user_watches' | 'fs.inotify.max_user_instances'

/**
 * Which inotify limit a subscription error hit, if any. @parcel/watcher's errors carry no
 * code, only the C library's text: "inotify_add_watch on '…' failed: No space left on device".
 */
export function inotifyLimitOf (err: unknown): InotifyLimit | null {
  const code = (err as { code?: unknown } | null)?.code
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ENOSPC' || /no space left on device/i.test(message)) return 'fs.inotify.max_user_watches'
  if (code === 'EMFILE' || /too many open files/i.test(message)) return 'fs.inotify.max_user_instances'
  return null
}

// The worker reports whether its own event loop could open an inotify instance.
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads')
const { watch } = require('node:fs')
try { watch(workerData).close(); parentPort.postMessage(null) } catch (err) { parentPort.postMessage(err.code ?? 'EMFILE') }
`

let hasInstance: Promise<boolean> | undefined

/**
 * Whether @parcel/watcher can open its inotify instance. When `fs.inotify.max_user_instances`
 * is reached, its first `subscribe` in a process blocks the main thread for good instead of
 * failing (measured with @parcel/watcher 2.5 and 2.6 on Linux 6.18; fix proposed upstream in
 * https://github.com/parcel-bundler/watcher/pull/246), so we ask first: a worker thread has its
 * own event loop, so its `fs.watch` opens a fresh instance, and closes it on exit. The main
 * thread cannot ask: libuv keeps its loop's instance open for good, which would take the very
 * slot @parcel/watcher needs. A worker takes ~25 ms to start, so callers start the probe early
 * and do other work meanwhile. Once the answer is yes, @parcel/watcher holds its instance and
 * the question is not asked again.
 */
export function canOpenInotify (dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(true)
  return (hasInstance ??= new Promise<boolean>(resolve => {
    const worker = new Worker(PROBE, { eval: true, workerData: dir })
    worker.once('message', (code: string | null) => resolve(code !== 'EMFILE')) // ENOENT: the directory is not there yet, which is no limit
    worker.once('error', /* c8 ignore next: the probe itself failed; let the watcher tell */ () => resolve(true))
    worker.once('exit', () => resolve(true))
  }).then(isOk => {
    if (!isOk) hasInstance = undefined // the user may close other watchers: ask again next time
    return isOk
  }))
}
