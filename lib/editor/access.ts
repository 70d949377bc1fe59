// What one plugin instance's editor route knows: its token, its project and the files the errors
// it showed named. Made in index.ts, fed by the hub (the overlay's errors) and the route error
// pages, read by the route.
import { randomBytes } from 'node:crypto'
import type { BroadcastMessage, BuildErrorInfo } from '../../types/index.js'
import type { ResolvedOptions } from '../options.js'
import { createNamedFiles } from './named-files.js'
import { projectPlaces } from './project-file.js'

export interface EditorAccess {
  /** Random per server start: pages get it from `{path}/editor`, which only the page's own origin can read. */
  readonly token: string
  readonly project: readonly string[]
  /** Errors shown (in the overlay, on a route error page): the files they name may be opened under node_modules. */
  noteErrors (errors: readonly BuildErrorInfo[]): void
  /** The same, for a message to the browsers: an `error`'s errors. */
  noteMessage (message: BroadcastMessage): void
  isNamed (path: string): boolean
}

export function createEditorAccess (options: Pick<ResolvedOptions, 'root' | 'watch'>): EditorAccess {
  const named = createNamedFiles()
  return {
    token: randomBytes(24).toString('base64url'),
    project: Object.freeze(projectPlaces(options.root, options.watch)),
    noteErrors: errors => { named.note(errors) },
    noteMessage (message) {
      if (message.type === 'error') named.note(message.errors)
    },
    isNamed: path => named.has(path)
  }
}
