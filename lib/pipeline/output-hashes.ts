import type { FileChange } from '../../types/index.js'
import type { Files } from '../world.js'

/**
 * Remembers a hash of each output file seen changing, so that a rewrite with the same bytes
 * (a rebuild that produced identical output, a touch) is recognised and sends nothing.
 */
export interface OutputHashes {
  /**
   * The changes whose content really differs from the last time each file was seen. With
   * `isEnough`, it may answer before every file is read: once `isEnough(changedSoFar)` holds,
   * the answer is those and `isPartial`; the rest is still hashed, before any later call runs.
   */
  changed (changes: readonly FileChange[], isEnough?: (changed: readonly FileChange[]) => boolean): Promise<Changed>
}

export interface Changed {
  readonly changed: FileChange[]
  /** Answered early: more of the changes may differ too. */
  readonly isPartial: boolean
}

/** A save (a few small files) is hashed synchronously: microseconds, where the thread pool costs milliseconds on a busy machine. */
const SYNC_FILES = 4
const SYNC_BYTES = 256 * 1024
/** Files read at once beyond those: enough to keep the thread pool busy. */
const CHUNK = 32

/** Reads the files through `files` (the world's). */
export function createOutputHashes (files: Pick<Files, 'hashNow' | 'hashLater'>): OutputHashes {
  const hashes = new Map<string, string>()
  /** The remainder of an early answer: later calls wait for it, so every file's hash is current. */
  let rest: Promise<void> = Promise.resolve()

  /** Records `hash` for `change`; whether that is a change. */
  function record (change: FileChange, hash: string | null): boolean {
    if (hash === null) { // deleted, or a directory: a change all the same
      hashes.delete(change.path)
      return true
    }
    const isSame = hashes.get(change.path) === hash
    hashes.set(change.path, hash)
    return !isSame
  }

  async function compare (changes: readonly FileChange[], isEnough: (changed: readonly FileChange[]) => boolean): Promise<Changed> {
    const changed: FileChange[] = []
    let next = 0
    for (; next < Math.min(changes.length, SYNC_FILES); next++) {
      const change = changes[next]
      const hash = change.type === 'delete' ? null : files.hashNow(change.path, SYNC_BYTES)
      if (hash === undefined) break // a large file: the asynchronous way
      if (record(change, hash)) changed.push(change)
    }
    while (next < changes.length) {
      if (isEnough(changed)) {
        const remaining = changes.slice(next)
        rest = (async () => { for (let i = 0; i < remaining.length; i += CHUNK) await hashChunk(remaining.slice(i, i + CHUNK)) })()
        return { changed, isPartial: true }
      }
      changed.push(...await hashChunk(changes.slice(next, next + CHUNK)))
      next += CHUNK
    }
    return { changed, isPartial: false }
  }

  async function hashChunk (chunk: readonly FileChange[]): Promise<FileChange[]> {
    const hashed = await Promise.all(chunk.map(async change => change.type === 'delete' ? null : await files.hashLater(change.path)))
    return chunk.filter((change, i) => record(change, hashed[i]))
  }

  return {
    async changed (changes, isEnough = () => false) {
      await rest
      return await compare(changes, isEnough)
    }
  }
}
