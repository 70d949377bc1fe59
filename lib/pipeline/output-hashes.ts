import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { FileChange } from '../../types/index.js'

/**
 * Remembers a hash of each output file seen changing, so that a rewrite with the same bytes
 * (a rebuild that produced identical output, a touch) is recognised and sends nothing.
 */
export interface OutputHashes {
  /** The changes whose content really differs from the last time each file was seen. */
  changed (changes: readonly FileChange[]): Promise<FileChange[]>
}

/** A save (a few small files) is hashed synchronously: microseconds, where the thread pool costs milliseconds on a busy machine. */
const SYNC_FILES = 4
const SYNC_BYTES = 256 * 1024

export function createOutputHashes (): OutputHashes {
  const hashes = new Map<string, string>()
  return {
    async changed (changes) {
      const isSmall = changes.length <= SYNC_FILES
      const results = await Promise.all(changes.map(async change => {
        const small = change.type === 'delete' || !isSmall ? undefined : hashSmallFile(change.path)
        const hash = change.type === 'delete' ? null : small !== undefined ? small : await hashFile(change.path)
        if (hash === null) { // deleted, or a directory: a change all the same
          hashes.delete(change.path)
          return true
        }
        const isSame = hashes.get(change.path) === hash
        hashes.set(change.path, hash)
        return !isSame
      }))
      return changes.filter((_, i) => results[i])
    }
  }
}

/** Undefined when the file is not small: hash it the asynchronous way. */
function hashSmallFile (path: string): string | null | undefined {
  try {
    const stats = statSync(path, { throwIfNoEntry: false })
    if (stats === undefined || !stats.isFile()) return null
    if (stats.size > SYNC_BYTES) return undefined
    return createHash('sha1').update(readFileSync(path)).digest('base64')
  } catch {
    return null
  }
}

async function hashFile (path: string): Promise<string | null> {
  try {
    return createHash('sha1').update(await readFile(path)).digest('base64')
  } catch {
    return null
  }
}
