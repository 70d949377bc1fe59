// What a module of the app contained: the child's hooks hash each as it is loaded, the supervisor
// hashes the file again to tell whether a change is one the version serving already has.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** sha1 of `file`'s bytes (base64); null for a file that cannot be read. */
export function contentHash (file: string): string | null {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('base64')
  } catch {
    return null
  }
}
