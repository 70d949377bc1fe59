import { stat } from 'node:fs/promises'
import { dirname, relative, sep } from 'node:path'
import watcher from '@parcel/watcher'
import picomatch from 'picomatch'
import type { FastifyBaseLogger } from 'fastify'
import type { FileChange } from '../types/index.js'
import { FST_LIVERELOAD_WATCH_FAILED } from './errors.js'
import { DEFAULT_IGNORE, type IgnoreRules } from './options.js'

/**
 * @parcel/watcher matches each ignore glob against each path with std::regex while it crawls:
 * the 14 default globs made a subscription on 10,000 files take 1 s instead of 0.1 s. So the
 * defaults go to it as plain paths, which it compares by prefix (the top-level `.git` and
 * `node_modules`: nothing under them is even watched), and are applied to events in JS, where a
 * compiled matcher costs microseconds per event. The user's own globs still go native.
 */
const NATIVE_DEFAULTS = ['.git', 'node_modules']
const DEFAULT_GLOBS = new Set(DEFAULT_IGNORE)
const isDefaultIgnored = picomatch([...DEFAULT_IGNORE], { dot: true })

export interface Watcher {
  close (): Promise<void>
}

/**
 * Watches a source: a directory, or a single file (through its directory). `exclude` (the
 * output directory) is never reported, even when it lies inside.
 */
export async function watchSource (
  path: string,
  ignore: IgnoreRules,
  exclude: string | null,
  onChanges: (changes: FileChange[]) => void,
  log: FastifyBaseLogger
): Promise<Watcher | null> {
  const isFile = await stat(path).then(s => s.isFile(), () => false)
  const rules = exclude === null ? ignore : { ...ignore, globs: [...ignore.globs, exclude] }
  if (!isFile) return await watchDirectory(path, rules, onChanges, log)
  return await watchDirectory(dirname(path), rules, changes => {
    const own = changes.filter(change => change.path === path)
    if (own.length > 0) onChanges(own)
  }, log)
}

/**
 * Subscribes to `dir` and hands each batch of events, filtered and normalised, to `onChanges`.
 * Resolves to null (after one warning) when the directory cannot be watched: the server still
 * serves, it only does not reload on changes there.
 */
export async function watchDirectory (
  dir: string,
  ignore: IgnoreRules,
  onChanges: (changes: FileChange[]) => void,
  log: FastifyBaseLogger
): Promise<Watcher | null> {
  const isDirectory = await stat(dir).then(s => s.isDirectory(), () => false)
  if (!isDirectory) {
    log.warn({ dir: displayPath(dir) }, 'not watching: the directory does not exist (yet)')
    return null
  }

  // This runs under native code: an exception escaping it would be uncaught, so nothing escapes.
  const callback: watcher.SubscribeCallback = (err, events) => {
    try {
      if (err !== null) {
        log.error({ err, dir: displayPath(dir) }, 'watcher error; changes may have been missed')
        return
      }
      const changes = toChanges(dir, events, ignore.regexps)
      if (changes.length > 0) onChanges(changes)
    } catch (err) {
      log.error({ err }, 'failed to handle file events')
    }
  }

  let subscription: watcher.AsyncSubscription
  try {
    subscription = await watcher.subscribe(dir, callback, { ignore: nativeIgnore(ignore.globs) })
  } catch (cause) {
    const err = new FST_LIVERELOAD_WATCH_FAILED(displayPath(dir), { cause })
    log.warn({ err }, 'not watching: the watcher could not subscribe')
    return null
  }
  log.debug({ dir: displayPath(dir) }, 'watching')

  let closing: Promise<void> | undefined
  return {
    // The kernel may have dropped the watch already (the directory went away): nothing to undo.
    close: () => (closing ??= subscription.unsubscribe().catch(err => log.debug({ err }, 'watcher already gone')))
  }
}

/** What @parcel/watcher is told to ignore: the user's globs, and the defaults as plain paths. */
export function nativeIgnore (globs: readonly string[]): string[] {
  return [...NATIVE_DEFAULTS, ...globs.filter(glob => !DEFAULT_GLOBS.has(glob))]
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

/** A path as people read it in logs and stats: relative to the working directory when inside it. */
export function displayPath (path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel.split(sep).join('/')
}
