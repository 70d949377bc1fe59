import { relative, sep } from 'node:path'
import type { BroadcastMessage, FileChange } from '../../types/index.js'
import type { ResolvedOptions } from '../options.js'

/** Beyond this many changed files, `reload` carries no paths: it means "everything". */
export const MAX_PATHS = 100

const STYLESHEET = /\.css$/i
const IMAGE = /\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp)$/i

type UrlOptions = Pick<ResolvedOptions, 'root' | 'prefix'>

/**
 * What a set of changed output files becomes. Only stylesheets created or updated: swap them;
 * only images: refresh them in place. Anything else, deletes and mixes included: reload.
 */
export function messageFor (changes: readonly FileChange[], options: UrlOptions & Pick<ResolvedOptions, 'css'>): BroadcastMessage {
  const paths = changes.map(change => urlPath(change.path, options))
  if (options.css && changes.every(change => change.type !== 'delete')) {
    if (changes.every(change => STYLESHEET.test(change.path))) return { type: 'css', paths }
    if (changes.every(change => IMAGE.test(change.path))) return { type: 'img', paths }
  }
  return reloadOf(paths)
}

export function reloadOf (paths: string[]): BroadcastMessage {
  return { type: 'reload', paths: paths.length > MAX_PATHS ? [] : paths }
}

/** The URL under which a file of the output directory is served. */
export function urlPath (file: string, options: UrlOptions): string {
  const rel = relative(options.root ?? '', file).split(sep).map(encodeURIComponent).join('/')
  return options.prefix.endsWith('/') ? options.prefix + rel : `${options.prefix}/${rel}`
}
