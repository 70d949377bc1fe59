// How paths appear in what leaves the process (messages to browsers, logs, stats, build
// reports): relative to the working directory, or from `~`, so that none carries the layout of
// the developer's disk or their user name. And the one way lib/ asks what is at a path.
import { realpathSync, statSync, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isAbsolute, relative, sep } from 'node:path'

/**
 * A path as people read it: relative to `cwd` (with `/` separators) when inside it, `.` for
 * `cwd` itself; otherwise from `~` when in the home directory, else absolute. A relative path
 * is taken as it is; a `file:` URL as its path.
 */
export function displayPath (path: string, cwd = process.cwd()): string {
  if (path.startsWith('file://') && URL.canParse(path)) path = new URL(path).pathname
  if (!isAbsolute(path)) return path
  const rel = relative(cwd, path)
  if (rel === '') return '.'
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return scrubHome(path)
  return rel.split(sep).join('/')
}

/** `text` (a message, a stack) with the paths in it shown as displayPath() shows them. */
export function scrubPaths (text: string, cwd = process.cwd()): string {
  return scrubHome(text.replaceAll(`file://${cwd}${sep}`, '').replaceAll(`${cwd}${sep}`, ''))
}

/** The home directory becomes `~`. Read on each call: HOME may change (tests do). */
function scrubHome (text: string): string {
  const home = homedir()
  if (home.length <= 1) return text
  if (text === home) return '~'
  return text.replaceAll(`file://${home}${sep}`, '~/').replaceAll(`${home}${sep}`, '~/')
}

type Kind = 'directory' | 'file' | 'missing'
const kindOfStats = (stats: Stats | undefined): Kind => stats === undefined ? 'missing' : stats.isDirectory() ? 'directory' : 'file'

/** What is at `path` now, links followed: a directory, something else (`file`), or nothing readable. */
export async function kindOf (path: string): Promise<Kind> {
  return kindOfStats(await stat(path).catch(() => undefined))
}

/** `path`'s real path (links followed); the path itself while there is none (it does not exist). */
export function realPathOf (path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/**
 * `kindOf`, answered at once: for the few paths a start asks about, where each await behind the
 * rest of a start's work (Fastify's plugins compiling on the same thread) cost a turn of several
 * milliseconds before the watcher could begin its walk.
 */
export function kindOfNow (path: string): Kind {
  try {
    return kindOfStats(statSync(path))
  } catch {
    return 'missing'
  }
}

/** Whether a request's URL (its query aside) is one of `routes`, or lies under one. */
export function isUnder (routes: readonly string[]): (url: string) => boolean {
  return url => {
    const path = url.split('?', 1)[0]!
    return routes.some(route => path === route || path.startsWith(`${route}/`))
  }
}
