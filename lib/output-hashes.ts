import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { FileChange } from '../types/index.js'

/**
 * Remembers a hash of each output file seen changing, so that a rewrite with the same bytes
 * (a rebuild that produced identical output, a touch) is recognised and sends nothing.
 */
export interface OutputHashes {
  /** The changes whose content really differs from the last time each file was seen. */
  changed (changes: readonly FileChange[]): Promise<FileChange[]>
}

export function createOutputHashes (): OutputHashes {
  const hashes = new Map<string, string>()
  return {
    async changed (changes) {
      const results = await Promise.all(changes.map(async change => {
        const hash = change.type === 'delete' ? null : await hashFile(change.path)
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

async function hashFile (path: string): Promise<string | null> {
  try {
    return createHash('sha1').update(await readFile(path)).digest('base64')
  } catch {
    return null
  }
}
