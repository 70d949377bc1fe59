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
 * down with the last, and with an error (2.6: src/Backend.cc, `unref` and `handleError`); its
 * subscribe and its unsubscribe both make one where there is none. Each new backend opens an
 * instance, and where none is free the watcher blocks the main thread for good
 * (inotify-limits.ts). So:
 * - a subscription made while no other lives asks first (after the last one's unsubscribe has
 *   taken the old backend down), and so does the first after an error or a refusal; a refusal is
 *   thrown as the watcher's own error would be ("Too many open files", EMFILE), which the caller
 *   reports as the limit. Subscriptions made meanwhile share the answer.
 * - a subscription that heard an error is not unsubscribed from the watcher: its callback went
 *   with the error, and the watcher would make a backend only to find nothing in it.
 */
export const nativeSubscribe: Subscribe = createNativeSubscribe({
  subscribe: watcher.subscribe,
  canOpen: canOpenInotify,
  forget: forgetInotifyAnswer,
  isLinux: process.platform === 'linux'
})

/** What nativeSubscribe is made of, each replaceable: the watcher's subscribe, the probe, and the platform. */
export interface NativeParts {
  /** @parcel/watcher's subscribe. */
  subscribe: typeof watcher.subscribe
  /** Whether a new backend can open its inotify instance (inotify-limits.ts). */
  canOpen (dir: string): Promise<boolean>
  /** The answer was taken by a backend: the next canOpen asks again. */
  forget (): void
  /** Linux: inotify asked for by name, and a subscription that heard an error is not unsubscribed. */
  isLinux: boolean
}

/** A nativeSubscribe of its own: one process's worth of backend bookkeeping. */
export function createNativeSubscribe ({ subscribe, canOpen, forget, isLinux }: NativeParts): Subscribe {
  /** Native subscriptions made or being made: while above 0, the watcher's backend lives (or is being made). */
  let live = 0
  /** Whether the current backend could open its instance (asked by its first subscription). */
  let backendAnswer: Promise<boolean> = Promise.resolve(true)
  /** An error was heard (the backend may be gone with it) or an ask refused: the next subscription asks. */
  let mustAsk = false
  /** The unsubscribe of the last live subscription, which takes the backend down with it. */
  let lastLetGo: Promise<void> = Promise.resolve()

  return async (dir, callback, options) => {
    if (live++ === 0 || mustAsk) {
      mustAsk = false
      backendAnswer = lastLetGo.then(async () => {
        const answer = canOpen(dir) // true at once where there is no inotify
        forget() // taken by this backend: the next one asks again
        return await answer
      })
    }
    let isLive = true
    const letGo = (): void => {
      if (isLive) live--
      isLive = false
    }
    try {
      if (!(await backendAnswer)) {
        mustAsk = true
        throw Object.assign(new Error('Unable to initialize inotify: Too many open files'), { code: 'EMFILE' })
      }
      let heardError = false
      const subscription = await subscribe(dir, (err, events) => {
        if (err !== null) mustAsk = heardError = true
        callback(err, events)
      }, isLinux ? { ...options, backend: 'inotify' } : options)
      return {
        async unsubscribe () {
          if (!isLive) return
          letGo()
          if (heardError && isLinux) return
          const done = subscription.unsubscribe()
          if (live === 0) lastLetGo = done.catch(() => {})
          await done
        }
      }
    } catch (err) {
      letGo()
      throw err
    }
  }
}
