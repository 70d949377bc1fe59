import { dirname, relative, resolve, sep } from 'node:path'
import type watcher from '@parcel/watcher'
import type { FastifyBaseLogger } from 'fastify'
import type { FileChange } from '../../types/index.js'
import { FST_LIVERELOAD_WATCH_FAILED, FST_LIVERELOAD_WATCH_LIMIT } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import { DEFAULT_POLL_INTERVAL_MS } from './options.js'
import { detectPollingReason } from './polling-detection.js'
import { subscribeResiliently, type Subscribe, type Subscription } from './subscription.js'
import { inotifyLimitOf } from './inotify-limits.js'
import { nativeSubscribe } from './native.js'
import { DEFAULT_IGNORE, ignoredPaths, isDefaultIgnored, withAliases, withOwnOutput, type IgnoreRules } from '../ignore.js'
import { displayPath, kindOfNow, realPathOf } from '../paths.js'
import { watchActivity, type Activity, type ActivityHandlers } from './activity.js'
import type { SweepHandlers } from './poll.js'
import { realWorld, type World } from '../world.js'

/**
 * @parcel/watcher matches each ignore glob against each path with std::regex while it crawls:
 * the 14 default globs made a subscription on 10,000 files take 1 s instead of 0.1 s. So the
 * defaults go to it as plain paths, which it compares by prefix (the top-level `.git` and
 * `node_modules`: nothing under them is even watched), and are applied to events in JS, where a
 * compiled matcher costs microseconds per event. The user's own globs still go native.
 */
const NATIVE_DEFAULTS = ['.git', 'node_modules']

export interface Watcher {
  close (): Promise<void>
}

/** What watching waits on: the poller's pace, the retries' pauses (the world's: a test's fake clock, or the real one). */
export type WatchTimers = Pick<World, 'now' | 'setTimer' | 'clearTimer'>

/** What every watched directory of one plugin instance shares. */
export interface WatchContext {
  readonly ignore: IgnoreRules
  readonly poll: ResolvedOptions['poll']
  readonly log: FastifyBaseLogger
  /** How @parcel/watcher is reached: replaceable so that tests can feed it errors. */
  readonly subscribe: Subscribe
  /**
   * Logs that an inotify limit stopped `dir` from being watched: a warning once per server,
   * then debug lines. Its memory lives here, so a copy of the context (a source with its own
   * ignore rules) shares it.
   */
  readonly warnLimit: (dir: string, limit: string, cause: unknown) => void
  readonly timers: WatchTimers
}

/** The latest subscribe of each directory, settled or not: see oneAtATime. */
const subscribing = new Map<string, Promise<unknown>>()

/**
 * `subscribe`, one at a time per directory for every plugin instance this module serves.
 * @parcel/watcher shares one watcher between subscriptions of a directory with the same options,
 * and one whose walk fails (a directory inside vanished) clears the callbacks of every
 * subscription that joined it meanwhile (https://github.com/parcel-bundler/watcher/blob/v2.6.0/src/binding.cc#L187):
 * that one resolves and hears nothing. Beside a thread churning directories, 24 of 26 pairs made
 * at once where the first failed; two plugin instances on one root are such a pair.
 */
function oneAtATime (subscribe: Subscribe): Subscribe {
  return async (dir, callback, options) => {
    const key = resolve(dir) // as the watcher keys it
    const made = (subscribing.get(key) ?? Promise.resolve()).then(async () => await subscribe(dir, callback, options))
    const forget = (): void => { if (subscribing.get(key) === settled) subscribing.delete(key) }
    const settled = made.then(forget, forget)
    subscribing.set(key, settled)
    return await made
  }
}

export function createWatchContext (options: Pick<ResolvedOptions, 'ignore' | 'poll'>, log: FastifyBaseLogger, { subscribe = nativeSubscribe, timers = realWorld }: { subscribe?: Subscribe, timers?: WatchTimers } = {}): WatchContext {
  let hasWarned = false
  function warnLimit (dir: string, limit: string, cause: unknown): void {
    const err = new FST_LIVERELOAD_WATCH_LIMIT(displayPath(dir), limit, { cause })
    if (hasWarned) return log.debug({ err }, 'not watching: the inotify limit is reached')
    hasWarned = true
    log.warn({ err }, 'not watching: the inotify limit is reached')
  }
  return { ignore: withOwnOutput(options.ignore), poll: options.poll, log, subscribe: oneAtATime(subscribe), warnLimit, timers }
}

/** What a watched directory reports: its changes, and that some were lost (rescan). */
export interface WatchHandlers {
  onChanges (changes: FileChange[]): void
  onLost (): void
  /** The directory itself was deleted: `onLost` follows once it is back and watched again. */
  onGone? (): void
  /**
   * Where every write is reported as it happens (watch/activity.ts), when someone needs it; where
   * the tree is polled instead, where each sweep is (poll.ts).
   */
  readonly activity?: ActivityHandlers & SweepHandlers
}

/**
 * Watches a source: a directory, or a single file (through its directory). `exclude` (the
 * output directory) is never reported, even when it lies inside.
 */
export async function watchSource (path: string, exclude: string | null, handlers: WatchHandlers, ctx: WatchContext): Promise<Watcher | null> {
  const isFile = kindOfNow(path) === 'file'
  const ignore = exclude === null ? ctx.ignore : { ...ctx.ignore, globs: [...ctx.ignore.globs, exclude] }
  const own = { ...ctx, ignore }
  if (!isFile) return await watchDirectory(path, handlers, own)
  const activity = handlers.activity
  return await watchDirectory(dirname(path), {
    onChanges (changes) {
      const mine = changes.filter(change => change.path === path)
      if (mine.length > 0) handlers.onChanges(mine)
    },
    onLost: handlers.onLost,
    activity: activity === undefined ? undefined : { ...activity, onActivity: (written, kind) => { if (written === path) activity.onActivity(written, kind) } }
  }, own)
}

/**
 * Watches `dir` (natively, or by polling where native events do not arrive) and hands each
 * batch of events, filtered and normalised, to `onChanges`. A directory that does not exist
 * yet, or is deleted later, is awaited. Resolves to null, after a coded warning, when the
 * directory cannot be watched: the server still serves, it only does not reload on changes there.
 */
export async function watchDirectory (dir: string, handlers: WatchHandlers, given: WatchContext): Promise<Watcher | null> {
  const log = given.log.child({ dir: displayPath(dir) })
  // Events name `dir` as it is given; a path known by its real name (the server's own output file) is aliased.
  const ctx = { ...given, ignore: { ...given.ignore, globs: withAliases(given.ignore.globs, realPathOf(dir), dir) } }
  const interval = pollInterval(dir, ctx, log)
  const subscribe: Subscribe = interval === null ? ctx.subscribe : await poller(interval, handlers.activity, ctx.timers)
  let subscription: Subscription | undefined
  // Activity is evidence only where inotify feeds both views in the writer's own system call.
  // Its own watch on `dir` sees the directory's removal too, which @parcel/watcher once failed
  // to report (a test run waited 180 s for it; cause unknown): whichever tells first is heard.
  const activity = interval === null && process.platform === 'linux' ? followActivity(dir, ctx.ignore, handlers.activity, () => subscription?.gone()) : null
  if (activity === null) handlers.activity?.onUnavailable()
  // Beside the subscription, so that both are ready when watching is: a burst right after start is evidence too.
  const activityStarted = activity?.restart()
  const onFailed = (cause: unknown): void => {
    activity?.close()
    handlers.activity?.onUnavailable()
    const limit = inotifyLimitOf(cause)
    if (limit !== null) ctx.warnLimit(dir, limit, cause)
    else log.warn({ err: new FST_LIVERELOAD_WATCH_FAILED(displayPath(dir), { cause }) }, 'not watching: the watcher could not subscribe')
  }
  try {
    const made = await subscribeResiliently({
      dir,
      subscribe,
      ignore: interval === null ? nativeIgnore(ctx.ignore.globs) : [...ctx.ignore.globs], // the poller has no std::regex cost
      onEvents (events) {
        const changes = toChanges(dir, events, ctx.ignore.regexps)
        if (changes.length > 0) handlers.onChanges(changes)
      },
      onGone: handlers.onGone,
      onLost () {
        // The directory came back: a new tree to follow. Until it is, quiet windows decide.
        activity?.restart().catch(/* c8 ignore next -- started never rejects */ () => {})
        handlers.onLost()
      },
      onFailed,
      log,
      timers: ctx.timers
    })
    subscription = made
    await activityStarted
    log.debug({ poll: interval ?? false }, 'watching')
    return {
      async close () {
        activity?.close()
        await made.close()
      }
    }
  } catch (cause) {
    onFailed(cause)
    return null
  }
}

/** The activity of `dir`, with the watcher's own ignore rules; restartable when the directory is replaced. */
function followActivity (dir: string, ignore: IgnoreRules, handlers: ActivityHandlers | undefined, onGone: () => void): { restart (): Promise<void>, close (): void } | null {
  if (handlers === undefined) return null
  const isIgnored = ignoredPaths(dir, ignore)
  let current: Activity | null = null
  return {
    async restart () {
      current?.close()
      handlers.onUnavailable() // until the new tree is followed
      current = watchActivity(dir, isIgnored, handlers, onGone)
      await current.started
    },
    close () {
      current?.close()
      current = null
    }
  }
}

/**
 * The poller's subscribe, loaded when a directory is polled (most starts never need it). Its
 * sweeps are reported to `sweeps`: a sweep reports only at its end, so a quiet proves nothing
 * until one that began after the last change has ended.
 */
async function poller (interval: number, sweeps: SweepHandlers | undefined, timers: WatchTimers): Promise<Subscribe> {
  const { pollSubscribe } = await import('./poll.js')
  return (path, callback, opts) => pollSubscribe(path, callback, { ...opts, interval, onSweepStart: sweeps?.onSweepStart, onSweepEnd: sweeps?.onSweepEnd, timers })
}

/** The poll interval for `dir`, or null for native events; says why when it decided itself. */
function pollInterval (dir: string, ctx: WatchContext, log: FastifyBaseLogger): number | null {
  if (ctx.poll === false) return null
  if (ctx.poll !== 'auto') return ctx.poll
  const reason = detectPollingReason(dir)
  if (reason === null) return null
  log.warn({ poll: DEFAULT_POLL_INTERVAL_MS }, `polling for changes every ${DEFAULT_POLL_INTERVAL_MS} ms: ${reason}. Set the "poll" option to choose yourself`)
  return DEFAULT_POLL_INTERVAL_MS
}

/** What @parcel/watcher is told to ignore: the user's globs, and the defaults as plain paths. */
export function nativeIgnore (globs: readonly string[]): string[] {
  // resolveIgnore puts the defaults first: the user's own globs, '**/node_modules' included, follow
  return [...NATIVE_DEFAULTS, ...globs.slice(DEFAULT_IGNORE.length)]
}

/** Parcel events become FileChanges, minus those the default ignores or a RegExp rule match. */
export function toChanges (dir: string, events: watcher.Event[], regexps: readonly RegExp[]): FileChange[] {
  const changes: FileChange[] = []
  for (const event of events) {
    const rel = relative(dir, event.path).split(sep).join('/')
    if (isDefaultIgnored(rel) || regexps.some(re => re.test(rel))) continue
    changes.push({ path: event.path, type: event.type })
  }
  return changes
}
