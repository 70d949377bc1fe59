import watcher from '@parcel/watcher'
import { canOpenInotify, forgetInotifyAnswer } from './inotify-limits.js'
import type { Subscribe } from './subscription.js'

/**
 * @parcel/watcher's subscribe, on inotify where it is Linux. Left to choose, the watcher first
 * looks for a watchman server by running `watchman get-sockname` through a shell, on the event
 * loop's thread: 7 ms of the first subscription (1.4 ms without), up to 15 ms of stall at start
 * beside the rest of the start's work. And the activity's evidence holds only where the watcher
 * is fed by inotify too (activity.ts), not through watchman.
 *
 * The watcher makes its inotify backend with the first subscription in a process and tears it
 * down with the last (and with an error of its own): each new backend opens an instance, and
 * where none is free the watcher blocks the main thread for good (inotify-limits.ts). So the
 * first subscription of each backend asks first, and a refusal is the watcher's own error
 * ("Too many open files"), which the caller reports as the limit. One answer serves one backend:
 * a directory that appears an hour after the start, once every other subscription has ended,
 * is asked for afresh, as is the backend after an error.
 */
export const nativeSubscribe: Subscribe = async (dir, callback, options) => {
  if (live++ === 0 || hasFailed) {
    hasFailed = false
    backendAnswer = canOpenInotify(dir) // true at once where there is no inotify
    forgetInotifyAnswer() // taken by this backend: the next one asks again
  }
  let isLive = true
  const letGo = (): void => {
    if (isLive) live--
    isLive = false
  }
  try {
    if (!(await backendAnswer)) throw Object.assign(new Error('inotify_init: Too many open files'), { code: 'EMFILE' })
    const subscription = await watcher.subscribe(dir, (err, events) => {
      if (err !== null) hasFailed = true
      callback(err, events)
    }, process.platform === 'linux' ? { ...options, backend: 'inotify' } : options)
    return {
      async unsubscribe () {
        letGo()
        await subscription.unsubscribe()
      }
    }
  } catch (err) {
    letGo()
    throw err
  }
}

/** Native subscriptions made or being made in this process: while above 0, the watcher's backend lives (or is being made). */
let live = 0
/** Whether the current backend could open its instance (asked by its first subscription). */
let backendAnswer: Promise<boolean> = Promise.resolve(true)
/** A subscription heard an error: the backend may be gone with it, so the next subscription asks. */
let hasFailed = false
