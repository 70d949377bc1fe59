import { watch } from 'node:fs'
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

// The worker tells whether its own event loop could open an inotify instance (the loop's first
// `fs.watch` opens it before it looks the path up: ENOENT is no limit), and exits, which closes it.
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads')
const { watch } = require('node:fs')
let code = null
try { watch(workerData).close() } catch (err) { code = err.code ?? 'EMFILE' }
parentPort.postMessage(code)
`

let hasInstance: Promise<boolean> | undefined

/**
 * Whether @parcel/watcher can open its inotify instance. When `fs.inotify.max_user_instances`
 * is reached, a `subscribe` that makes its backend blocks the main thread for good instead of
 * failing (measured with @parcel/watcher 2.5 and 2.6 on Linux 6.18; fix proposed upstream in
 * https://github.com/parcel-bundler/watcher/pull/246), so we ask first. Watching takes two
 * instances. One is this thread's event loop's, which libuv opens with the first `fs.watch` and
 * keeps for good (the activity, activity.ts, watches through it): it is opened here. The other
 * must still be free after that: a worker thread, whose own loop opens a fresh one, tells, and the
 * answer counts once it has exited and so closed it again. A worker takes 25–65 ms to start, so
 * callers ask early and do other work meanwhile. A yes is kept until a new backend of the
 * watcher takes it (native.ts), a no is asked again next time.
 */
export function canOpenInotify (dir: string): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(true)
  return (hasInstance ??= (openLoopInstance(dir) ? askWorker(dir) : Promise.resolve(false)).then(isOk => {
    if (!isOk) hasInstance = undefined // the user may close other watchers: ask again next time
    return isOk
  }))
}

/** Lets the next canOpenInotify ask again: the answer was taken for a backend (native.ts). */
export function forgetInotifyAnswer (): void {
  hasInstance = undefined
}

/** Whether a worker's event loop could open an instance, once the worker has closed it again. */
async function askWorker (dir: string): Promise<boolean> {
  let code: string | null = null
  try {
    // Without the app's Node flags: a worker runs the `--require` preloads of the command line
    // (ts-node, an APM agent), and a 30 ms one made the probe 47 ms instead of 17 (measured). One
    // given in NODE_OPTIONS still runs in it: no option of a worker turns that off.
    const worker = new Worker(PROBE, { eval: true, workerData: dir, execArgv: [] })
    worker.once('message', (answer: string | null) => { code = answer })
    await new Promise(resolve => {
      worker.once('error', /* c8 ignore next: the probe itself failed; let the watcher tell */ () => {})
      worker.once('exit', resolve)
    })
  } catch /* c8 ignore next: no thread to ask with (the permission model without --allow-worker); let the watcher tell */ {}
  return code !== 'EMFILE'
}

/** Opens this thread's event loop's inotify instance unless it is open already; false when the limit refuses it. */
function openLoopInstance (dir: string): boolean {
  try {
    watch(dir).close()
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'EMFILE'
  }
}
