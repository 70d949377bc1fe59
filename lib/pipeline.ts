import { relative, sep } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { BroadcastMessage, FileChange } from '../types/index.js'
import type { Hub } from './hub.js'
import { MAX_WAIT_MS, type ResolvedOptions } from './options.js'

/** Beyond this many changed files, `reload` carries no paths: it means "everything". */
export const MAX_PATHS = 100

export interface Pipeline {
  /** Takes a batch of output-directory changes; one message follows once they go quiet. */
  push (changes: FileChange[]): void
  close (): void
}

/**
 * Coalesces output changes into one message per burst. @parcel/watcher delivers one save as up
 * to two batches about 50 ms apart (truncate, then write), and a large burst the same way, so
 * the quiet window must outlast its batching: flushing on the first batch would reload a page
 * whose file is still empty.
 */
export function createPipeline (
  options: Pick<ResolvedOptions, 'root' | 'prefix' | 'css' | 'debounce'>,
  hub: Pick<Hub, 'broadcast'>,
  log: FastifyBaseLogger
): Pipeline {
  const pending = new Map<string, FileChange['type']>()
  let quietTimer: NodeJS.Timeout | undefined
  let firstAt = 0

  function flush (): void {
    clearTimeout(quietTimer)
    quietTimer = undefined
    const changes = [...pending].map(([path, type]) => ({ path, type }))
    pending.clear()
    const message = messageFor(changes, options)
    log.info({ type: message.type, changes: changes.length }, 'output changed')
    hub.broadcast(message)
  }

  return {
    push (changes) {
      for (const change of changes) pending.set(change.path, mergeType(pending.get(change.path), change.type))
      const now = Date.now()
      if (quietTimer === undefined) firstAt = now
      clearTimeout(quietTimer)
      const wait = Math.min(options.debounce, Math.max(0, firstAt + MAX_WAIT_MS - now))
      quietTimer = setTimeout(flush, wait).unref()
    },
    close () {
      clearTimeout(quietTimer)
      quietTimer = undefined
      pending.clear()
    }
  }
}

/** Two events for one path in one burst: what the browser needs to know is the net effect. */
function mergeType (before: FileChange['type'] | undefined, after: FileChange['type']): FileChange['type'] {
  if (before === 'delete' && after === 'create') return 'update'
  if (before === 'create' && after === 'update') return 'create'
  return after
}

const STYLESHEET = /\.css$/i
const IMAGE = /\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp)$/i

/**
 * Only stylesheets created or updated: hot-swap them; only images: refresh them in place.
 * Anything else, deletes and mixes included: reload.
 */
export function messageFor (
  changes: readonly FileChange[],
  options: Pick<ResolvedOptions, 'root' | 'prefix' | 'css'>
): BroadcastMessage {
  const paths = changes.map(change => urlPath(change.path, options))
  if (options.css && changes.every(change => change.type !== 'delete')) {
    if (changes.every(change => STYLESHEET.test(change.path))) return { type: 'css', paths }
    if (changes.every(change => IMAGE.test(change.path))) return { type: 'img', paths }
  }
  return { type: 'reload', paths: paths.length > MAX_PATHS ? [] : paths }
}

/** The URL under which a file of the output directory is served. */
export function urlPath (file: string, options: Pick<ResolvedOptions, 'root' | 'prefix'>): string {
  const rel = relative(options.root ?? '', file).split(sep).map(encodeURIComponent).join('/')
  return options.prefix.endsWith('/') ? options.prefix + rel : `${options.prefix}/${rel}`
}
