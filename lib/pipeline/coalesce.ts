import { statSync } from 'node:fs'
import { sep } from 'node:path'
import type { FileChange } from '../../types/index.js'
import { probeActivity, PROBE_PATHS } from './activity-probe.js'

/** In a burst, @parcel/watcher flushes every 500 ms; a batch sooner than this came after 50 ms of quiet. */
export const FORCED_FLUSH_GAP_MS = 450
/**
 * A build's own writes reach us up to the watcher's 50 ms batching later, more on a loaded
 * machine: settling waits at least this long for them.
 */
export const SETTLE_MIN_MS = 150
/** In a burst, how long to wait for the watcher's next forced flush before deciding the burst ended. */
export const BURST_WAIT_MS = 600
/**
 * An early flush needs the first batch handled this soon (ms) after its file was written: a
 * batch handled late (a busy machine) may hide a burst that the probe, armed too late, cannot
 * see any more, so it waits the quiet window instead.
 */
export const LATE_MS = 3
/** A save still writing its own file re-arms the early window at most this often, then waits the quiet window. */
export const MAX_REARMS = 3

export interface CoalescerOptions {
  /**
   * Early flush: a first batch after idle is flushed once the activity probe has seen no
   * further write for this long (ms) and its files are not empty, instead of after the quiet
   * window. Only for changes whose repeats are absorbed downstream (the output hashes): the
   * watcher's second batch of the same save then carries the same bytes and sends nothing.
   */
  readonly earlyMs?: number
  /** A batch that seems to end a burst is flushed after this long without writes (ms). Default: the quiet window. */
  readonly endMs?: number
  /** Early flush only for a batch handled at most this long (ms) after its files were written. Default: LATE_MS. */
  readonly lateMs?: number
}

export interface Coalescer {
  /** Adds changes and (re)starts the quiet window. */
  push (changes: readonly FileChange[]): void
  /** Stops flushing: changes accumulate until `settle()`. */
  hold (): void
  /**
   * Waits until the changes have been quiet for the window (counted from now), then resolves
   * with all of them instead of flushing them, and flushes normally again.
   */
  settle (): Promise<FileChange[]>
  close (): void
}

/**
 * Gathers file changes until they have been quiet for `quietMs`, then hands them to `onFlush`
 * as one batch, so that one save, or a checkout of thousands of files, is one build and one
 * message. A burst is recognised by the activity probe (see activity-probe.ts) and then lasts
 * until the watcher delivers a batch that followed a quiet spell. A stream that never goes
 * quiet is flushed `maxWaitMs` after its first change. Several events for one path in one
 * batch become their net effect.
 */
export function createCoalescer (
  quietMs: number,
  maxWaitMs: number,
  onFlush: (changes: FileChange[], since: number) => void,
  options: CoalescerOptions = {}
): Coalescer {
  const endMs = options.endMs ?? quietMs
  const pending = new Map<string, FileChange['type']>()
  let timer: NodeJS.Timeout | undefined
  let since = 0
  let lastBatchAt = 0
  let waitMs = quietMs
  let isEarly = false
  let isWaiting = false
  let rearms = 0
  let isHeld = false
  let scheduled = 0
  let probe: { stop (): void } | undefined
  let settling: ((changes: FileChange[]) => void) | undefined

  function schedule (): void {
    clearTimeout(timer)
    timer = undefined
    if (settling !== undefined) {
      timer = setTimeout(settled, Math.max(quietMs, SETTLE_MIN_MS)).unref()
    } else if (!isHeld && pending.size > 0) {
      const wait = Math.min(waitMs, Math.max(0, since + maxWaitMs - Date.now()))
      const generation = ++scheduled
      // Timers run before I/O callbacks in an event-loop turn: on a busy loop the probe's event
      // may be waiting right behind this timer. setImmediate lets it through first.
      timer = setTimeout(() => setImmediate(() => {
        if (generation !== scheduled || pending.size === 0) return // rescheduled meanwhile
        if (hasBareDirectory() && Date.now() < since + maxWaitMs) {
          // A new directory whose files have not arrived yet (mkdir, then the write): a message
          // now would name the directory alone, and a second one would follow for its files.
          waitMs = quietMs
          schedule()
          return
        }
        if (isEarly && !isComplete()) {
          // Most likely a save caught between its truncate and its write: the probe re-arms
          // the early window when the write comes; the quiet window is the fallback.
          isEarly = rearms < MAX_REARMS && !isWaiting
          isWaiting = true
          waitMs = quietMs
          schedule()
          return
        }
        const first = since
        onFlush(take(), first)
      }), wait).unref()
    }
  }

  /**
   * An early flush comes a few milliseconds after the first event: an empty file then is most
   * likely caught between its truncate and its write. A few synchronous stats (microseconds)
   * beat a round trip through the thread pool on a busy machine.
   */
  function isComplete (): boolean {
    if (isWaiting) return true // waited the quiet window already: really empty
    let checked = 0
    for (const [path, type] of pending) {
      if (type === 'delete') continue
      const stats = statSync(path, { throwIfNoEntry: false })
      // An empty file: caught between truncate and write. A path gone again: a temporary file
      // renamed over its target, whose events follow.
      if (stats === undefined || stats.size === 0) return false
      if (++checked === PROBE_PATHS) break
    }
    return true
  }

  /** Whether a small batch holds a created directory with nothing pending below it. */
  function hasBareDirectory (): boolean {
    if (pending.size > PROBE_PATHS) return false // a burst: the burst rules decide
    for (const [path, type] of pending) {
      if (type !== 'create' || statSync(path, { throwIfNoEntry: false })?.isDirectory() !== true) continue
      if (![...pending.keys()].some(other => other.startsWith(path + sep))) return true
    }
    return false
  }

  function startProbe (paths: readonly string[]): void {
    probe?.stop()
    probe = probeActivity(paths, path => {
      if (isEarly && path !== null && pending.has(path)) {
        // The save writing its own file still (a truncate, then the write): not a burst.
        isWaiting = false
        waitMs = ++rearms > MAX_REARMS ? quietMs : options.earlyMs ?? quietMs
        isEarly = rearms <= MAX_REARMS
        startProbe(paths)
        schedule()
        return
      }
      onBurst()
    })
  }

  function onBurst (): void {
    isEarly = false
    waitMs = BURST_WAIT_MS
    schedule()
  }

  function settled (): void {
    const resolve = settling
    settling = undefined
    isHeld = false
    resolve?.(take())
  }

  function take (): FileChange[] {
    clearTimeout(timer)
    timer = undefined
    probe?.stop()
    probe = undefined
    isEarly = false
    since = 0
    const changes = [...pending].map(([path, type]) => ({ path, type }))
    pending.clear()
    return changes
  }

  return {
    push (changes) {
      if (changes.length === 0) return
      const now = Date.now()
      if (pending.size === 0) since = now
      const isFirst = pending.size === 0
      if (isFirst || (waitMs === BURST_WAIT_MS && now - lastBatchAt < FORCED_FLUSH_GAP_MS)) {
        // A first batch, or one that seems to follow a quiet spell (the burst may be over; a busy
        // event loop can make a forced flush look like one): the probe decides, within the window.
        isEarly = isFirst && options.earlyMs !== undefined && isPrompt(changes, now, options.lateMs ?? LATE_MS)
        isWaiting = false
        rearms = 0
        waitMs = isEarly ? options.earlyMs ?? quietMs : isFirst ? quietMs : endMs
        startProbe(changes.map(change => change.path))
      }
      lastBatchAt = now
      mergeChanges(pending, changes)
      if (!isHeld || settling !== undefined) schedule()
    },
    hold () {
      isHeld = true
      schedule()
    },
    settle () {
      return new Promise(resolve => {
        settling = resolve
        schedule()
      })
    },
    close () {
      take()
      settled()
    }
  }
}

/** @parcel/watcher holds events after the first until this long (ms) passes without one. */
export const WATCHER_QUIET_MS = 50

/**
 * Whether a batch reached us promptly (a few synchronous stats): its newest file was written at
 * most `lateMs` before `now`, or, for a batch the watcher held for its 50 ms of quiet, at most
 * `lateMs` after that quiet ended.
 */
export function isPrompt (changes: readonly FileChange[], now: number, lateMs: number): boolean {
  let newest = -Infinity
  let checked = 0
  for (const { path, type } of changes) {
    if (type === 'delete') continue
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats === undefined) return false // gone again: a temporary file, renamed; the rest follows
    newest = Math.max(newest, stats.mtimeMs)
    if (++checked === PROBE_PATHS) break
  }
  if (checked === 0) return false // deletes alone: a clean or a checkout far more often than a save
  const age = now - newest
  return age <= lateMs || (age >= WATCHER_QUIET_MS - lateMs && age <= WATCHER_QUIET_MS + 2 * lateMs)
}

/** Adds `changes` to `pending` (path → type), keeping each path's net effect. */
export function mergeChanges (pending: Map<string, FileChange['type']>, changes: readonly FileChange[]): void {
  for (const { path, type } of changes) {
    const before = pending.get(path)
    // Created and deleted within the window (an editor's temporary file): it never was.
    if (before === 'create' && type === 'delete') pending.delete(path)
    else pending.set(path, netType(before, type))
  }
}

/** Two events for one path in one batch: the browser and the builder need the net effect. */
function netType (before: FileChange['type'] | undefined, after: FileChange['type']): FileChange['type'] {
  if (before === 'delete' && after === 'create') return 'update' // a safe-write editor's rename
  if (before === 'create') return 'create'
  return after
}
