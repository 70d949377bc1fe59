import { readdirSync, statSync, type Dirent } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import type watcher from '@parcel/watcher'
import picomatch from 'picomatch'
import { realWorld, type World } from '../world.js'

/** File system calls per slice of a sweep; the event loop runs between slices (about 1 ms each). */
const SLICE = 256
/**
 * A sweep starts no sooner than this many times the previous sweep's duration after that one
 * started: on a tree too large for the interval, polling stretches instead of taking a core.
 */
const DUTY_FACTOR = 5

/** Who is told of each sweep: what it found is delivered only at its end. */
export interface SweepHandlers {
  /** A sweep, one look at every directory and file, begins. */
  onSweepStart (): void
  /** ...and ends, what it found delivered: nothing written before it began is still to come. */
  onSweepEnd (): void
}

interface FileState { mtimeMs: number, size: number, ino: number }
interface DirState { mtimeMs: number, files: Map<string, FileState>, dirs: Set<string> }

/** One poller's state, shared by the steps of its sweeps below. */
interface Poller {
  isIgnored: (path: string) => boolean
  /** Every directory followed, by path. */
  dirs: Map<string, DirState>
  callback: watcher.SubscribeCallback
  options: { interval: number } & Partial<SweepHandlers>
  /** The clock and timers its pace is kept on. */
  timers: Pick<World, 'now' | 'setTimer' | 'clearTimer'>
  isClosed: boolean
  /** File system calls left in this slice (see SLICE). */
  budget: number
  timer: unknown
  /** Ends the wait between two sweeps. */
  wake: (() => void) | undefined
}

/**
 * Polls `dir` every `interval` ms and reports what changed in @parcel/watcher's shape, so the
 * rest of the plugin cannot tell the difference. Built for large trees: no timer per file,
 * one sweep at a time, synchronous `stat` calls (four times cheaper than their promise form)
 * in slices that yield to the event loop, and a directory is listed again only when its
 * mtime changed (a create, delete or rename inside it). Files are stat-ed on every sweep,
 * because writing a file does not change its directory's mtime. Its pace is kept on `timers`
 * (the world's; the real ones by default).
 */
export async function pollSubscribe (
  dir: string,
  callback: watcher.SubscribeCallback,
  options: { ignore: string[], interval: number, timers?: Poller['timers'] } & Partial<SweepHandlers>
): Promise<{ unsubscribe (): Promise<void> }> {
  const poller: Poller = {
    isIgnored: ignoreMatcher(dir, options.ignore),
    dirs: new Map(),
    callback,
    options,
    timers: options.timers ?? realWorld,
    isClosed: false,
    budget: SLICE,
    timer: undefined,
    wake: undefined
  }
  await scan(poller, dir, null)
  run(poller).catch(/* c8 ignore next: run catches its own errors */ () => {})
  return {
    async unsubscribe () {
      poller.isClosed = true
      if (poller.timer !== undefined) poller.timers.clearTimer(poller.timer)
      poller.wake?.()
    }
  }
}

/** Yields to the event loop once a slice of work is done. */
async function spend (poller: Poller, calls: number): Promise<void> {
  poller.budget -= calls
  if (poller.budget > 0) return
  poller.budget = SLICE
  await new Promise(resolve => setImmediate(resolve))
}

/** Records a directory and everything below it, reporting each entry as `type` when given. */
async function scan (poller: Poller, path: string, events: watcher.Event[] | null): Promise<void> {
  const stats = statSync(path, { throwIfNoEntry: false })
  const entries = readEntries(path)
  if (stats === undefined || entries === null) return
  const state: DirState = { mtimeMs: stats.mtimeMs, files: new Map(), dirs: new Set() }
  poller.dirs.set(path, state)
  await spend(poller, 2)
  for (const entry of entries) await add(poller, path, state, entry, events)
}

async function add (poller: Poller, parent: string, state: DirState, entry: Dirent, events: watcher.Event[] | null): Promise<void> {
  const path = join(parent, entry.name)
  if (poller.isIgnored(path)) return
  if (entry.isDirectory()) {
    state.dirs.add(entry.name)
    events?.push({ path, type: 'create' })
    await scan(poller, path, events)
    return
  }
  const stats = statSync(path, { throwIfNoEntry: false })
  await spend(poller, 1)
  if (stats === undefined) return // gone already
  state.files.set(entry.name, { mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino })
  events?.push({ path, type: 'create' })
}

/** Forgets a directory and everything below it, reporting each as deleted. */
function remove (dirs: Map<string, DirState>, path: string, events: watcher.Event[]): void {
  const state = dirs.get(path)
  dirs.delete(path)
  for (const name of state?.files.keys() ?? []) events.push({ path: join(path, name), type: 'delete' })
  for (const name of state?.dirs ?? []) remove(dirs, join(path, name), events)
  events.push({ path, type: 'delete' })
}

async function sweepDirectory (poller: Poller, path: string, state: DirState, events: watcher.Event[]): Promise<void> {
  const stats = statSync(path, { throwIfNoEntry: false })
  await spend(poller, 1)
  if (stats?.isDirectory() !== true) { // its parent reports it too: the first to look does
    remove(poller.dirs, path, events)
    return
  }
  const fresh = new Set<string>()
  if (stats.mtimeMs !== state.mtimeMs) {
    state.mtimeMs = stats.mtimeMs
    const entries = readEntries(path) ?? []
    await spend(poller, 1)
    const names = new Set(entries.map(entry => entry.name))
    for (const name of state.files.keys()) {
      if (!names.has(name)) {
        state.files.delete(name)
        events.push({ path: join(path, name), type: 'delete' })
      }
    }
    for (const name of state.dirs) {
      if (!names.has(name)) {
        state.dirs.delete(name)
        if (poller.dirs.has(join(path, name))) remove(poller.dirs, join(path, name), events)
      }
    }
    for (const entry of entries) {
      if (state.files.has(entry.name) || state.dirs.has(entry.name)) continue
      fresh.add(entry.name)
      await add(poller, path, state, entry, events)
    }
  }
  for (const [name, before] of state.files) {
    if (fresh.has(name)) continue
    const file = join(path, name)
    const stats = statSync(file, { throwIfNoEntry: false })
    await spend(poller, 1)
    if (stats === undefined) {
      state.files.delete(name)
      events.push({ path: file, type: 'delete' })
    } else if (stats.mtimeMs !== before.mtimeMs || stats.size !== before.size || stats.ino !== before.ino) {
      state.files.set(name, { mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino })
      events.push({ path: file, type: 'update' })
    }
  }
}

async function sweep (poller: Poller): Promise<void> {
  const events: watcher.Event[] = []
  for (const path of [...poller.dirs.keys()]) {
    if (poller.isClosed) return
    const state = poller.dirs.get(path)
    if (state !== undefined) await sweepDirectory(poller, path, state, events) // removed by a parent's sweep
  }
  const { callback } = poller // a plain call, as @parcel/watcher makes it, not a method call on the poller
  if (events.length > 0 && !poller.isClosed) callback(null, events)
}

async function run (poller: Poller): Promise<void> {
  const { options, callback, timers } = poller
  for (;;) {
    if (poller.isClosed) return
    const started = timers.now()
    options.onSweepStart?.()
    try {
      await sweep(poller)
    } catch (err) { /* c8 ignore start: an unexpected failure of the file system: the owner rescans */
      callback(err as Error, [])
    } /* c8 ignore stop */
    if (!poller.isClosed) options.onSweepEnd?.()
    const elapsed = timers.now() - started
    await new Promise<void>(resolve => {
      poller.wake = resolve
      poller.timer = timers.setTimer(resolve, Math.max(options.interval, DUTY_FACTOR * elapsed) - elapsed)
    })
  }
}

/** Entries of a directory, or null when it cannot be read (gone, no permission). */
function readEntries (path: string): Dirent[] | null {
  try {
    return readdirSync(path, { withFileTypes: true })
  } catch {
    return null
  }
}

/**
 * The same ignore rules as @parcel/watcher: absolute paths ignore that path and what lies
 * below it; anything else is a picomatch glob relative to the watched directory.
 */
export function ignoreMatcher (dir: string, ignore: readonly string[]): (path: string) => boolean {
  const paths = ignore.filter(entry => isAbsolute(entry))
  const globs = ignore.filter(entry => !isAbsolute(entry))
  const isGlobMatch = globs.length > 0 ? picomatch(globs, { dot: true }) : () => false
  return path => {
    if (paths.some(ignored => path === ignored || path.startsWith(ignored + sep))) return true
    return isGlobMatch(relative(dir, path).split(sep).join('/'))
  }
}
