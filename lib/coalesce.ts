import type { FileChange } from '../types/index.js'
import { probeActivity } from './activity-probe.js'

/** In a burst, @parcel/watcher flushes every 500 ms; a batch sooner than this came after 50 ms of quiet. */
export const FORCED_FLUSH_GAP_MS = 450
/**
 * A build's own writes reach us up to the watcher's 50 ms batching later, more on a loaded
 * machine: settling waits at least this long for them.
 */
export const SETTLE_MIN_MS = 150
/** In a burst, how long to wait for the watcher's next forced flush before deciding the burst ended. */
export const BURST_WAIT_MS = 600

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
  onFlush: (changes: FileChange[], since: number) => void
): Coalescer {
  const pending = new Map<string, FileChange['type']>()
  let timer: NodeJS.Timeout | undefined
  let since = 0
  let lastBatchAt = 0
  let waitMs = quietMs
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
        const first = since
        onFlush(take(), first)
      }), wait).unref()
    }
  }

  function onBurst (): void {
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
      if (pending.size === 0 || (waitMs === BURST_WAIT_MS && now - lastBatchAt < FORCED_FLUSH_GAP_MS)) {
        // A first batch, or one that seems to follow a quiet spell (the burst may be over; a busy
        // event loop can make a forced flush look like one): the probe decides, within the window.
        waitMs = quietMs
        probe?.stop()
        probe = probeActivity(changes.map(change => change.path), onBurst)
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
