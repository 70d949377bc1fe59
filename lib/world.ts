import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { load, waitedMs, type Load } from './pressure.js'

/**
 * Everything the plugin's parts read from or wait on outside themselves: the clocks, timers, the
 * turn of the event loop, files and the kernel's pressure counters. The plugin's entry passes the
 * real one, and the plugin hands it to the pipeline, the hub, the watchers and the cluster; the
 * tests pass a fake (test/helpers/fake-world.ts), so that the whole path from a watcher batch to
 * a browser message runs on a fake clock.
 */
export interface World {
  /** ms on a monotonic clock (performance's, from its time origin). */
  now (): number
  /** ms since the epoch: the clock file times (mtimes) are stamped from. */
  wallNow (): number
  /** Runs `fn` after `ms`, a fraction of a millisecond too; the handle goes to `clearTimer`. */
  setTimer (fn: () => void, ms: number): unknown
  clearTimer (timer: unknown): void
  /** Runs `fn` once the I/O already under way has been read (the activity's events among it). */
  defer (fn: () => void): void
  /** Size and mtime of a file; undefined when it is gone. */
  stat (path: string): { size: number, mtimeMs: number } | undefined
  /** How long (ms, from any fixed moment) threads have waited for a CPU: see pressure.ts. */
  waited (): number
  /** What the machine is doing right now: threads ready to run per CPU (above 1, some wait for one: a writer, perhaps), and whether one is blocked on the disk. */
  load (): Load
  /** What the loop breaker reads of a source file, and the outputs' hashes of a build's files. */
  readonly files: Files
}

export interface Files {
  /** The file's mtime, or null: gone, not a file, or stamped in whole seconds (too coarse to tell). */
  mtime (path: string): number | null
  /**
   * A hash of its content, read now; null: gone, not a file, or unreadable; undefined: larger
   * than `maxBytes` (read it on the thread pool instead: hashLater).
   */
  hashNow (path: string, maxBytes: number): string | null | undefined
  /** A hash of its content, read on the thread pool; null: gone, not a file, or unreadable. */
  hashLater (path: string): Promise<string | null>
}

const digest = (content: Buffer): string => createHash('sha1').update(content).digest('base64')

const diskFiles: Files = {
  mtime (path) {
    try {
      const stats = statSync(path, { throwIfNoEntry: false })
      if (stats === undefined || !stats.isFile()) return null
      return stats.mtimeMs % 1000 === 0 ? null : stats.mtimeMs
    } catch {
      return null
    }
  },
  hashNow (path, maxBytes) {
    try {
      const stats = statSync(path, { throwIfNoEntry: false })
      if (stats === undefined || !stats.isFile()) return null
      return stats.size > maxBytes ? undefined : digest(readFileSync(path))
    } catch {
      return null
    }
  },
  async hashLater (path) {
    try {
      return digest(await readFile(path))
    } catch { // gone, or a directory (EISDIR)
      return null
    }
  }
}

const now = (): number => performance.timeOrigin + performance.now()

/**
 * Node's timers count whole milliseconds of the event loop's clock, which is read once per turn:
 * a timer of 0.4 ms fired after 1.1–1.5 ms (measured on a save's way to its message), and one of
 * 1–2 ms as much early or late. A wait shorter than this (ms) is waited on the loop's own turns
 * instead, each of which reads the I/O ready meanwhile: to a few hundredths of a millisecond.
 */
const TIMER_RESOLUTION_MS = 1

/**
 * A wait on the loop's turns (see TIMER_RESOLUTION_MS): `fn` runs on the first turn at or past
 * `due`. Its turns keep the process alive, unlike the world's timers: an unref'd immediate
 * waits in the poll phase for other I/O (a wait of 0.9 ms beside a listening server took 301 ms),
 * and this one lasts less than a millisecond.
 */
class TurnWait {
  private immediate: NodeJS.Immediate
  constructor (fn: () => void, due: number) {
    const turn = (): void => {
      if (now() >= due) fn()
      else this.immediate = setImmediate(turn)
    }
    this.immediate = setImmediate(turn)
  }

  cancel (): void {
    clearImmediate(this.immediate)
  }
}

export const realWorld: World = {
  now,
  wallNow: Date.now,
  setTimer: (fn, ms) => ms < TIMER_RESOLUTION_MS ? new TurnWait(fn, now() + ms) : setTimeout(fn, ms).unref(),
  clearTimer: timer => { if (timer instanceof TurnWait) timer.cancel(); else clearTimeout(timer as NodeJS.Timeout) },
  // The kernel queues an event for the watcher's inotify instance and for ours in one system
  // call, but the watcher's thread can wake and deliver before ours is queued: one more poll
  // phase (the second setImmediate runs after it) reads ours.
  defer: fn => setImmediate(() => setImmediate(fn)),
  stat: path => statSync(path, { throwIfNoEntry: false }),
  waited: waitedMs,
  load,
  files: diskFiles
}

/**
 * Runs `decide` once `ms` have passed, after the I/O of the event-loop turn its timer runs in
 * (`world.defer`); returns the timer, for `world.clearTimer` until it has run. A deadline's
 * timer alone misjudges a loop held up past it: the loop runs its timers before it reads its
 * sockets and pipes, so what came in time (a hello, a renewal's answer, a command's exit) would be
 * read only after the deadline had given up on it. `decide` looks again at what it decides on.
 */
export function decideAfter (world: Pick<World, 'setTimer' | 'defer'>, decide: () => void, ms: number): unknown {
  return world.setTimer(() => { world.defer(decide) }, ms)
}

/** Runs `fn` after `ms` on `world`'s timers; returns a cancel function. */
export function later (world: Pick<World, 'setTimer' | 'clearTimer'>, fn: () => void, ms: number): () => void {
  const timer = world.setTimer(fn, ms)
  return () => world.clearTimer(timer)
}
