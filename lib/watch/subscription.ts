import type watcher from '@parcel/watcher'
import type { FastifyBaseLogger } from 'fastify'
import { EventEmitter, once } from 'node:events'
import { lstatSync, realpathSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { withAliases } from '../ignore.js'
import { later, type World } from '../world.js'
import { awaitDirectory, isDirectory } from './await-directory.js'

/** @parcel/watcher's `subscribe`, or the poller's, which has the same shape. */
export type Subscribe = (dir: string, callback: watcher.SubscribeCallback, options: { ignore: string[] }) => Promise<{ unsubscribe (): Promise<void> }>

export interface SubscriptionOptions {
  dir: string
  subscribe: Subscribe
  ignore: string[]
  /** A batch of events below `dir` (never `dir` itself). May throw: the error is logged. */
  onEvents (events: watcher.Event[]): void
  /** Events were lost (a watcher error, or `dir` came back): the owner must rescan. */
  onLost (): void
  /** `dir` itself was deleted: `onLost` follows once it is back. */
  onGone? (): void
  /** A subscription failed for another reason than the directory being gone: it is not retried. */
  onFailed (err: unknown): void
  /** Bound to the directory (a child logger). */
  log: FastifyBaseLogger
  /** What its pauses between retries wait on: the world's timers. */
  timers: Pick<World, 'setTimer' | 'clearTimer'>
}

export interface Subscription {
  /**
   * `dir` was deleted, as someone else saw it (the activity's own watch on it): the same as the
   * watcher's delete event for `dir`, which it may fail to deliver.
   */
  gone (): void
  close (): Promise<void>
}

/** One resilient subscription's state, shared by the functions below. */
interface Resilience {
  options: SubscriptionOptions
  dir: string
  log: FastifyBaseLogger
  closing: AbortController
  current: { unsubscribe (): Promise<void> } | null
  /** Counts subscriptions made and replaced: a callback or a subscribe of an older one stands down. */
  generation: number
  /**
   * The latest subscribing in the background (after a start, a recovery), settled or not.
   * `close()` waits for it: a walk still running when close returned made a subscription nobody
   * would close, beside the next start's.
   */
  subscribing: Promise<unknown>
}

/**
 * A subscription that outlives its directory and its watcher's errors. When `dir` is deleted,
 * it waits for it to come back (see await-directory.ts) and subscribes again; when the watcher
 * reports an error, events may have been lost, so it subscribes afresh. Either way `onLost`
 * tells the owner to rescan, so nothing stays silently stale. Resolves once the first
 * subscription is made, or at once when `dir` does not exist yet (it is awaited in the background).
 */
export async function subscribeResiliently (options: SubscriptionOptions): Promise<Subscription> {
  const { dir, log } = options
  const state: Resilience = { options, dir, log, closing: new AbortController(), current: null, generation: 0, subscribing: Promise.resolve() }
  const { closing } = state
  const subscribeInBackground = (): void => { state.subscribing = subscribe(state, state.generation, true).catch(options.onFailed) }

  if (!isDirectory(dir)) {
    log.warn('not watching yet: the directory does not exist; watching starts when it does')
    subscribeInBackground()
  } else if (!(await subscribe(state, state.generation, false, true))) {
    log.info('directories inside keep vanishing: watching starts once a walk of the tree meets none')
    subscribeInBackground()
  }

  let closed: Promise<void> | undefined
  return {
    // Said once, whoever reports it first: not while the directory is being watched afresh.
    gone: () => { if (state.current !== null && !closing.signal.aborted) gone(state) },
    close: () => (closed ??= (async () => {
      closing.abort()
      state.generation++
      await state.subscribing // it stands down, letting go of what it made
      await state.current?.unsubscribe().catch(err => log.debug({ err }, 'watcher already gone'))
      state.current = null
    })())
  }
}

function callbackOf (state: Resilience, own: number, target: string): watcher.SubscribeCallback {
  const { options, dir, log, closing } = state
  // This runs under native code: an exception escaping it would be uncaught, so nothing escapes.
  return (err, reported) => {
    if (own !== state.generation || closing.signal.aborted) return // a replaced subscription's last words
    try {
      if (err !== null) {
        log.warn({ err }, 'the watcher failed and events may be lost: rescanning and watching again')
        restart(state)
        return
      }
      const events = target === dir ? reported : reported.map(event => ({ ...event, path: event.path === target ? dir : join(dir, event.path.slice(target.length)) }))
      // The rest of this batch describes a tree that is gone (a clean before a build): the
      // rescan when it comes back speaks for it, and browsers are not sent to a 404 meanwhile.
      if (events.some(event => event.path === dir && event.type === 'delete')) return gone(state)
      options.onEvents(events)
    } catch (err) {
      log.error({ err }, 'failed to handle file events')
    }
  }
}

function gone (state: Resilience): void {
  state.log.warn('the watched directory was deleted: watching resumes when it exists again')
  state.options.onGone?.()
  restart(state)
}

function restart (state: Resilience): void {
  const own = ++state.generation
  const previous = state.current
  state.current = null
  state.subscribing = recover(state, own, previous).catch(state.options.onFailed)
}

async function recover (state: Resilience, own: number, previous: { unsubscribe (): Promise<void> } | null): Promise<void> {
  const hold = previous === null ? null : await holdBackend(state.options.subscribe, state.options.timers).catch(() => null)
  try {
    await hold?.fence()
    // The kernel may still have dropped the watch first (the fence's guard ran out): nothing to undo.
    await previous?.unsubscribe().catch(err => state.log.debug({ err }, 'watcher already gone'))
    await subscribe(state, own, true)
  } finally {
    await hold?.release()
  }
}

/**
 * Subscribes, waiting for `dir` while it is missing, until it holds. At start (`isStart`), a tree
 * whose walks still meet vanished directories after QUICK_TRIES resolves with false instead:
 * the start goes on (Fastify gives a plugin 10 s), and the caller subscribes in the background.
 */
async function subscribe (state: Resilience, own: number, isRecovery: boolean, isStart = false): Promise<boolean> {
  const { options, dir, log, closing } = state
  const vanished = { named: 0, unnamed: 0 } // walks that met a vanished path, by whether the watcher named it
  for (;;) {
    if (closing.signal.aborted || own !== state.generation) return true
    if (!isDirectory(dir)) {
      await awaitDirectory(dir, closing.signal, options.timers)
      isRecovery = true
      continue
    }
    const target = linkTarget(dir)
    try {
      const subscription = await options.subscribe(target, callbackOf(state, own, target), { ignore: withAliases(options.ignore, dir, target) })
      if (closing.signal.aborted || own !== state.generation) {
        await subscription.unsubscribe()
        return true
      }
      state.current = subscription
    } catch (err) {
      if (!isDirectory(dir)) continue // deleted while subscribing: wait for it again
      const kind = vanishedKind(err, target)
      if (kind === null || vanished[kind] >= MAX_TRIES[kind]) throw err
      // A directory below vanished while the watcher walked the tree (a build's temp dirs):
      // the tree is there, so subscribe again, paced, until a walk meets no vanished path.
      const tries = ++vanished[kind] + vanished[kind === 'named' ? 'unnamed' : 'named']
      if (tries === 1) log.info({ err }, 'a directory vanished while the watcher walked the tree: subscribing again')
      if (isStart && tries >= QUICK_TRIES) return false
      await pause(tries, closing.signal, options.timers)
      continue
    }
    if (isRecovery) {
      log.info('watching again; rescanning')
      options.onLost()
    }
    return true
  }
}

/**
 * Where `dir` is, when it is a symbolic link (`root: 'public'`, a link to the build's output):
 * the watcher does not follow one (its inotify watch fails: "Not a directory"), so the link's
 * target is subscribed, and its events are named under `dir`, as everything else names them.
 */
function linkTarget (dir: string): string {
  try {
    return lstatSync(dir).isSymbolicLink() ? realpathSync(dir) : dir
  } catch {
    return dir // gone meanwhile: the subscription says so
  }
}

/** Walks at start, unpaced, before the start goes on and the walks go on in the background. */
const QUICK_TRIES = 3
/**
 * Walks that met a vanished directory, after which the failure is taken as it is: a tree that
 * churns for longer than these take (about 45 s, paced by pause()) is not one to watch; where
 * the watcher named no path, fewer.
 */
const MAX_TRIES = { named: 50, unnamed: 10 }

/**
 * How a failed subscription of `dir` met a directory below it that was gone, or no longer a
 * directory, by the time the watcher reached it; null for another failure. @parcel/watcher says
 * `inotify_add_watch on '<path>' failed: No such file or directory` (or `Not a directory`) when
 * the watch came too late: `<path>` is then below `dir`, whose walk had just listed it as a
 * directory (`dir` itself failing so is no churn). Whether it is
 * there now says nothing: the churn may have made it again. When the directory's read came too
 * late, no path is named.
 */
function vanishedKind (err: unknown, dir: string): 'named' | 'unnamed' | null {
  if (!(err instanceof Error)) return null
  const named = /^inotify_add_watch on '(.+)' failed: (No such file or directory|Not a directory)$/.exec(err.message)
  if (named !== null) return named[1].startsWith(dir + sep) ? 'named' : null
  return /^(No such file or directory|Not a directory)$/.test(err.message) ? 'unnamed' : null
}

/**
 * Before the `tries`th walk after one that met a vanished path: none for the first three (a walk
 * of a churning tree succeeds about half the time), then 50 ms doubling to 1 s, so a tree that
 * never stops churning costs a walk a second, not a CPU. Ends early when `signal` aborts.
 */
async function pause (tries: number, signal: AbortSignal, timers: SubscriptionOptions['timers']): Promise<void> {
  if (tries <= 3 || signal.aborted) return
  await new Promise<void>(resolve => {
    const done = (): void => {
      cancel()
      signal.removeEventListener('abort', done)
      resolve()
    }
    const cancel = later(timers, done, Math.min(1000, 50 * 2 ** (tries - 4)))
    signal.addEventListener('abort', done)
  })
}

/** How long (ms) a fence's event is awaited at most: a guard against a watcher that stopped, not a wait. */
const FENCE_MAX_MS = 1000

/**
 * Keeps @parcel/watcher's backend running while a directory is watched afresh, through a
 * subscription to an empty directory of our own, until `release()`. The watcher tears its
 * inotify backend down with its last subscription and leaks a pipe doing so (one file descriptor
 * per cycle: 26 → 67 over 40 clean rebuilds; the minimal repro is in docs/troubleshooting.md,
 * "File descriptors grow"). Not the old subscription itself: the watcher shares one per
 * directory, and a new subscription would join the dead one.
 *
 * `fence()` resolves once the watcher has handled every event the kernel queued before it: a
 * file written in the held directory reaches the watcher's thread through the same inotify queue,
 * after the old tree's deletion. Letting go of the old subscription before that fails halfway
 * when the kernel has already dropped its watches ("Unable to remove watcher: Invalid
 * argument"): its other watches stay registered, they keep the directory's cached tree, which the
 * deletion then empties, and the new subscription reuses that tree and watches nothing. Seen in
 * 4 of 20 recoveries of a tree with a subdirectory, each one whose unsubscribe had failed.
 */
async function holdBackend (subscribe: Subscribe, timers: SubscriptionOptions['timers']): Promise<{ fence (): Promise<void>, release (): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fastify-livereload-'))
  const arrived = new EventEmitter() // anything in our own directory is a fence
  try {
    const held = await subscribe(dir, () => arrived.emit('fence'), { ignore: [] })
    return {
      async fence () {
        const guard = new AbortController()
        const cancel = later(timers, () => guard.abort(), FENCE_MAX_MS)
        const fenced = once(arrived, 'fence', { signal: guard.signal }).catch(/* c8 ignore next -- a watcher that stopped */ () => {})
        try {
          await writeFile(join(dir, 'fence'), '')
          await fenced
        } finally {
          cancel()
        }
      },
      async release () {
        await held.unsubscribe().catch(() => {})
        await rm(dir, { recursive: true, force: true })
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
}
