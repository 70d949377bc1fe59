import type { FileChange } from '../types/index.js'

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
 * as one batch. A stream that never goes quiet is flushed `maxWaitMs` after its first change.
 * Several events for one path in one batch become their net effect.
 */
export function createCoalescer (
  quietMs: number,
  maxWaitMs: number,
  onFlush: (changes: FileChange[], since: number) => void
): Coalescer {
  const pending = new Map<string, FileChange['type']>()
  let timer: NodeJS.Timeout | undefined
  let since = 0
  let isHeld = false
  let settling: ((changes: FileChange[]) => void) | undefined

  function schedule (): void {
    clearTimeout(timer)
    timer = undefined
    if (settling !== undefined) {
      timer = setTimeout(settled, quietMs).unref()
    } else if (!isHeld && pending.size > 0) {
      const wait = Math.min(quietMs, Math.max(0, since + maxWaitMs - Date.now()))
      timer = setTimeout(() => {
        const first = since
        onFlush(take(), first)
      }, wait).unref()
    }
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
    since = 0
    const changes = [...pending].map(([path, type]) => ({ path, type }))
    pending.clear()
    return changes
  }

  return {
    push (changes) {
      if (changes.length === 0) return
      if (pending.size === 0) since = Date.now()
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
      clearTimeout(timer)
      pending.clear()
      settled()
    }
  }
}

/** Adds `changes` to `pending` (path → type), keeping each path's net effect. */
export function mergeChanges (pending: Map<string, FileChange['type']>, changes: readonly FileChange[]): void {
  for (const { path, type } of changes) pending.set(path, netType(pending.get(path), type))
}

/** Two events for one path in one batch: the browser and the builder need the net effect. */
function netType (before: FileChange['type'] | undefined, after: FileChange['type']): FileChange['type'] {
  if (before === 'delete' && after === 'create') return 'update' // a safe-write editor's rename
  if (before === 'create' && after !== 'delete') return 'create'
  return after
}
