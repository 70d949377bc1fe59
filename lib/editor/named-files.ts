// The files the errors shown so far named (the overlay's, the route error pages'), by absolute
// path: the editor route opens one of them under node_modules, and no other file there.
import type { BuildErrorInfo } from '../../types/index.js'
import { namedFiles } from './places.js'
import { resolveShown } from './project-file.js'

/** Files remembered at most: the oldest named is forgotten first. */
const MAX_NAMED = 1000

export interface NamedFiles {
  note (errors: readonly BuildErrorInfo[]): void
  has (path: string): boolean
}

export function createNamedFiles (max = MAX_NAMED): NamedFiles {
  const named = new Set<string>()
  return {
    note (errors) {
      for (const file of namedFiles(errors)) {
        const path = resolveShown(file)
        named.delete(path) // named again: the newest
        named.add(path)
        if (named.size > max) named.delete(named.values().next().value!)
      }
    },
    has: path => named.has(path)
  }
}
