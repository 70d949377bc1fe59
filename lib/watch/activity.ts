import { readdirSync, statSync, watch, type Dirent, type FSWatcher, type Stats } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, join, sep } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'

/** Beyond this many directories the activity is not watched: the coalescer falls back to quiet windows. */
export const MAX_ACTIVITY_DIRS = 4096

/** Directories followed at once while the tree is walked at start: as many listings as the thread pool has threads. */
const WALK_LISTINGS = 4

/** `rename`: an entry appeared or went away (create, delete, move); `change`: its content or attributes. */
export type ActivityKind = 'rename' | 'change'

export interface ActivityHandlers {
  /** Every directory of the tree is watched: from now on, no write goes unreported. */
  onReady (): void
  /** A write at `path`, reported at once: no batching, no 50 ms wait. */
  onActivity (path: string, kind: ActivityKind): void
  /** The tree cannot be followed (too many directories, or a watch failed): no evidence from here on. */
  onUnavailable (): void
}

export interface Activity {
  /** Settles once the tree as it was at start is watched (or given up on). */
  readonly started: Promise<void>
  close (): void
}

/** One activity's state, shared by the functions below that follow its tree. */
interface Follower {
  dir: string
  isIgnored: (path: string) => boolean
  handlers: ActivityHandlers
  onGone: (() => void) | undefined
  /** Runs the start's listings a few at a time (see WALK_LISTINGS). */
  listing: <T>(fn: () => Promise<T>) => Promise<T>
  /** Per directory followed: its watch, and which directory it is (see `identity`). */
  watchers: Map<string, { watcher: FSWatcher, identity: string }>
  isClosed: boolean
}

/**
 * The coalescer's evidence of what the file system is doing right now. @parcel/watcher delivers
 * the first change after an idle spell at once, then holds the rest until 50 ms of quiet or a
 * forced flush every 500 ms, so from its batches alone a save and the first file of a checkout
 * look the same. This watches every directory of the tree non-recursively (one more inotify
 * watch per directory, on the one inotify instance Node shares) and reports each write as it
 * happens. Both inotify instances receive an event in the writer's own system call, so by the
 * time the watcher's batch reaches JavaScript, the activity naming its paths has been seen:
 * measured 300 of 300, idle and with both cores busy. `onGone`: `dir` itself was removed (the
 * activity has stopped: `onUnavailable` came first).
 */
export function watchActivity (dir: string, isIgnored: (path: string) => boolean, handlers: ActivityHandlers, onGone?: () => void): Activity {
  const follower: Follower = {
    dir,
    isIgnored,
    handlers,
    onGone,
    // A turn of the event loop takes in every listing (and stat) the thread pool has finished: with
    // the whole tree asked for at once, 1,000 listings came in a few turns and stalled the loop
    // 110–220 ms.
    listing: createLimit(WALK_LISTINGS),
    watchers: new Map(),
    isClosed: false
  }
  const started = addExisting(follower, dir).then(() => {
    if (!follower.watchers.has(dir)) giveUp(follower) // the directory is gone, or was never there
    else handlers.onReady()
  }, () => giveUp(follower))
  return { started, close: () => close(follower) }
}

function close (follower: Follower): void {
  follower.isClosed = true
  for (const { watcher } of follower.watchers.values()) watcher.close()
  follower.watchers.clear()
}

function giveUp (follower: Follower): void {
  if (follower.isClosed) return
  close(follower)
  follower.handlers.onUnavailable()
}

/**
 * Watches the directory `path`; false when it is gone already, or followed already. A
 * directory removed and made again before its removal was read (`rm -rf out && cp -r a out`)
 * is another directory under a known path: its old watch died with the old one, so it is
 * followed afresh.
 */
function open (follower: Follower, path: string, stats = statSync(path, { throwIfNoEntry: false })): boolean {
  const { watchers } = follower
  if (follower.isClosed || stats === undefined) return false
  if (watchers.get(path)?.identity === identity(stats)) return false
  // A directory replaced: its old watch goes, with those below it. Only a followed directory
  // has followed ones below it (they are followed from the top down, and forgotten with it):
  // a new one has none, and is not compared with every watch (n² over a checkout's directories).
  if (watchers.has(path)) forget(follower, path)
  if (watchers.size >= MAX_ACTIVITY_DIRS) {
    giveUp(follower)
    return false
  }
  try {
    const watcher = watch(path, { persistent: false }, (kind, name) => onEvent(follower, path, kind as ActivityKind, name))
    watcher.on('error', () => forget(follower, path))
    watchers.set(path, { watcher, identity: identity(stats) })
    return true
  } catch {
    // Gone already (created and removed in one burst), or no inotify watch left: then blind.
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) giveUp(follower)
    return false
  }
}

/** A directory that appeared: watched at once, with what the burst already wrote into it counted as activity. */
function addNew (follower: Follower, path: string, stats?: Stats): void {
  const { isIgnored } = follower
  if (!open(follower, path, stats)) return
  let entries: Dirent[]
  try {
    entries = readdirSync(path, { withFileTypes: true })
  } catch { /* c8 ignore start: removed between its watch and its listing */
    return forget(follower, path)
  } /* c8 ignore stop */
  for (const entry of entries) {
    const child = join(path, entry.name)
    if (isIgnored(child)) continue
    if (entry.isDirectory()) addNew(follower, child)
    follower.handlers.onActivity(child, 'rename')
  }
}

/**
 * The tree as it is at start, followed without blocking the event loop: a few directories at a
 * time (see `listing`), each in a turn of its own, and a directory without subdirectories is not
 * listed. Unix counts a directory's links as two (its name, its `.`) plus one per subdirectory
 * (its `..`), so a count of 2 is a leaf, whose files need no watch of their own (GNU find's leaf
 * optimisation; file systems that do not count, btrfs and overlayfs' merged directories, say 1,
 * and are listed). A 100,000-file tree of 1,000 leaves is followed in ~90 ms instead of ~210,
 * without listing its 100,000 files. In a server watching that tree, the 32 leaves of one
 * listing watched in one turn stalled its event loop ~80 ms; with a turn each, its longest
 * stall was that of the same server with no activity (14–17 ms, four runs each).
 */
async function addExisting (follower: Follower, path: string): Promise<void> {
  const { listing, isIgnored } = follower
  let entries: Dirent[]
  try {
    entries = await listing(async () => {
      await nextTurn()
      const stats = statSync(path)
      return !open(follower, path, stats) || stats.nlink === 2 ? [] : await readdir(path, { withFileTypes: true })
    })
  } catch { // gone before its watch, or between its watch and its listing
    return forget(follower, path)
  }
  await Promise.all(entries
    .filter(entry => entry.isDirectory() && !isIgnored(join(path, entry.name)))
    .map(async entry => await addExisting(follower, join(path, entry.name))))
}

function forget (follower: Follower, path: string): void {
  for (const [watched, { watcher }] of follower.watchers) {
    if (watched !== path && !watched.startsWith(path + sep)) continue
    watcher.close()
    follower.watchers.delete(watched)
  }
}

function onEvent (follower: Follower, path: string, kind: ActivityKind, name: string | null): void {
  const { dir, isIgnored, onGone } = follower
  if (follower.isClosed) return
  // An event on the watched directory itself (its attributes, its removal) carries the
  // directory's own name (libuv): the watcher reports it as the directory, so this does too.
  let target = name === null ? path : join(path, name)
  if (name === basename(path) && statSync(target, { throwIfNoEntry: false }) === undefined) target = path
  if (target !== dir && isIgnored(target)) return
  if (kind === 'rename') {
    const stats = statSync(target, { throwIfNoEntry: false })
    const isDirectory = stats?.isDirectory()
    if (isDirectory === undefined && target === dir) { // the watcher waits for it to come back; so must whoever restarts this
      giveUp(follower)
      return onGone?.()
    }
    if (isDirectory === true) addNew(follower, target, stats)
    else if (isDirectory === undefined && follower.watchers.has(target)) forget(follower, target) // a directory we followed, and those below it
  }
  follower.handlers.onActivity(target, kind)
}

/**
 * Which directory this is: a new one under a known path often gets the freed inode number back
 * (ext4, tmpfs), but not its birth time. Without birth times (some file systems), the inode alone.
 */
function identity (stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}`
}

/** Runs at most `max` of the functions given at once; the rest wait their turn. */
function createLimit (max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  return async fn => {
    if (running >= max) await new Promise<void>(resolve => waiting.push(resolve))
    running++
    try {
      return await fn()
    } finally {
      running--
      waiting.shift()?.()
    }
  }
}
