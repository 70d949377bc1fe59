import { relative, sep } from 'node:path'
import type { BroadcastMessage, BuildOutcome, FileChange } from '../../types/index.js'
import type { ResolvedOptions } from '../options.js'
import { displayPath } from '../paths.js'

/** Beyond this many changed files, `reload` carries no paths: it means "everything". */
export const MAX_PATHS = 100

const STYLESHEET = /\.css$/i
const SOURCE_MAP = /\.map$/i
const IMAGE = /\.(?:png|jpe?g|gif|svg|webp|avif|ico|bmp)$/i

type UrlOptions = Pick<ResolvedOptions, 'root' | 'prefix'>

/**
 * What a set of changed output files becomes. Only stylesheets created or updated: swap them;
 * only images: refresh them in place. Anything else, deletes and mixes included: reload. Source
 * maps are left out: a stylesheet rebuilt with its map is still a swap, and a map alone changes
 * nothing a page shows (null: no message).
 */
export function messageFor (all: readonly FileChange[], options: UrlOptions & Pick<ResolvedOptions, 'css'>): BroadcastMessage | null {
  const changes = withoutMaps(all)
  if (changes.length === 0) return null
  if (options.css && changes.every(change => change.type !== 'delete')) {
    if (changes.every(change => STYLESHEET.test(change.path))) return { type: 'css', paths: urlPaths(changes, options) }
    if (changes.every(change => IMAGE.test(change.path))) return { type: 'img', paths: urlPaths(changes, options) }
  }
  return reloadFor(changes, options)
}

/**
 * What changed sources become when no builder runs (`--proxy`, an app that renders its own
 * pages). Only stylesheets created or updated, source maps aside: `css` with `files: true`, their
 * paths as files, since no URL of theirs is known here (they are not under `root`): the client
 * matches them to the page's stylesheets by trailing names, and reloads when none matches.
 * Anything else, and more than MAX_PATHS stylesheets: reload everything.
 */
export function sourceMessage (all: readonly FileChange[], options: Pick<ResolvedOptions, 'css'>): BroadcastMessage {
  const changes = withoutMaps(all)
  const isSwap = options.css && changes.length > 0 && changes.length <= MAX_PATHS &&
    changes.every(change => change.type !== 'delete' && STYLESHEET.test(change.path))
  return isSwap ? { type: 'css', paths: changes.map(change => filePath(change.path)), files: true } : reloadOf([])
}

/**
 * A source file as a `css` message with `files: true` names it: as `building` shows it (relative
 * to the working directory, else from `~`, so no message carries the disk's layout), each name
 * encoded as in a URL path, so that the client and protocol 7 decode both kinds of path alike.
 */
export function filePath (file: string): string {
  return displayPath(file).split(sep).join('/').split('/').map(encodeName).join('/')
}

/** `changes` but source maps (`.map`): what DevTools reads, never what a page shows. */
function withoutMaps (changes: readonly FileChange[]): readonly FileChange[] {
  return changes.some(change => SOURCE_MAP.test(change.path)) ? changes.filter(change => !SOURCE_MAP.test(change.path)) : changes
}

function urlPaths (changes: readonly FileChange[], options: UrlOptions): string[] {
  return changes.map(change => urlPath(change.path, options))
}

/**
 * A reload naming `changes`; everything past MAX_PATHS (without working out URLs no one reads:
 * ~10 ms for a checkout's 2,000), or when the root itself changed (it came back, or was rescanned).
 */
function reloadFor (changes: readonly FileChange[], options: UrlOptions): BroadcastMessage {
  const isEverything = changes.length > MAX_PATHS || changes.some(change => change.path === options.root)
  return reloadOf(isEverything ? [] : urlPaths(changes, options))
}

/** What a successful build leaves to decide its one message. */
export interface BuildResult {
  /** The builder's `reload` (default 'auto'). */
  readonly mode: NonNullable<BuildOutcome['reload']>
  /** The outputs the build changed (their content differs from before). */
  readonly changed: readonly FileChange[]
  /** Events were lost while the build ran: reload, whatever it wrote. */
  readonly mustReload: boolean
  /** The overlay shows the errors of an earlier build: a build that sends nothing else clears it. */
  readonly isErrorShowing: boolean
}

/**
 * The one message of a successful build, or null for none: 'page' reloads and 'css' swaps
 * whatever changed, 'auto' asks `messageFor` when something changed, 'none' sends nothing;
 * lost events turn any of these into a reload, and a build that would send nothing while an
 * error shows sends `clear`.
 */
export function buildMessage (result: BuildResult, options: UrlOptions & Pick<ResolvedOptions, 'css'>): BroadcastMessage | null {
  const { mode, changed } = result
  let message: BroadcastMessage | null = null
  if (mode === 'page') message = reloadFor(changed, options)
  else if (mode === 'css') message = { type: 'css', paths: urlPaths(withoutMaps(changed), options) }
  else if (mode === 'auto' && changed.length > 0) message = messageFor(changed, options)
  if (result.mustReload && message?.type !== 'reload') message = reloadFor(changed, options)
  return message ?? (result.isErrorShowing ? { type: 'clear' } : null)
}

export function reloadOf (paths: string[]): BroadcastMessage {
  return { type: 'reload', paths: paths.length > MAX_PATHS ? [] : paths }
}

/**
 * The URL under which a file of the output directory is served, in one canonical form: each
 * name percent-encoded (UTF-8, upper-case hex) as by encodeURIComponent, except the characters
 * RFC 3986 allows in a path that a server does not decode there (`$ & + , : ; = @`): those stay
 * as they are, as in the browser's `location.pathname`. `/q%26a.html` is not where @fastify/static
 * serves `q&a.html` (it decodes a path with decodeURI, which keeps `%26` as it is).
 */
export function urlPath (file: string, options: UrlOptions): string {
  const rel = relative(options.root ?? '', file).split(sep).map(encodeName).join('/')
  return options.prefix.endsWith('/') ? options.prefix + rel : `${options.prefix}/${rel}`
}

const KEPT = /%(?:24|26|2B|2C|3A|3B|3D|40)/g

function encodeName (name: string): string {
  return encodeURIComponent(name).replace(KEPT, decodeURIComponent)
}
