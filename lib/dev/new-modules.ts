// Which new files would a version of the app load on its next start (dev.ts): a module created
// where @fastify/autoload, the fastify-cli app's way of loading `routes/` and `plugins/`, would
// find it, or beside the app's own files. Nothing imports such a file yet, so no loaded file's
// change tells; its place does.
import { readdirSync } from 'node:fs'
import { dirname, extname, join, relative, sep } from 'node:path'
import type { FileChange } from '../../types/index.js'

/** Extensions of files the app may load as modules. */
export const MODULES = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'])
/** Entries a new directory is listed for at most, looking for a module in it. */
export const MAX_LISTED = 1000

/**
 * Whether `change` creates, under `app` (the entry's directory), a module the next version would
 * load, going by `loaded` (the files the last version loaded): a module file in `app` or in a
 * directory right below it, or anywhere below a directory the app loaded a module from (other
 * than `app` itself: `routes/`, and `routes/users/` as deep as autoload goes). A directory
 * created or moved there counts when it holds such a file: the watcher reports a directory moved
 * in without the files in it, and often one just made (`mkdir -p`, then a write) too. Hidden
 * paths (an editor's lock and swap files) and node_modules never count.
 */
export function isNewModule (change: FileChange, app: string, loaded: ReadonlySet<string>): boolean {
  if (change.type !== 'create' || !change.path.startsWith(app + sep) || isSkipped(relative(app, change.path))) return false
  const codeDirs = codeDirsOf(app, loaded)
  const wouldLoad = (file: string): boolean => {
    if (!MODULES.has(extname(file))) return false
    if (relative(app, dirname(file)).split(sep).filter(Boolean).length <= 1) return true
    for (let dir = dirname(file); dir !== app; dir = dirname(dir)) if (codeDirs.has(dir)) return true
    return false
  }
  return wouldLoad(change.path) || holdsModule(change.path, wouldLoad)
}

/** Per version's set of loaded files: the directories below the app it loaded modules from (a build's thousand creates ask once). */
const codeDirsCache = new WeakMap<ReadonlySet<string>, { app: string, dirs: Set<string> }>()

/** The directories below `app` (not `app`) that hold, at any depth, a module of `loaded` outside node_modules. */
function codeDirsOf (app: string, loaded: ReadonlySet<string>): Set<string> {
  const cached = codeDirsCache.get(loaded)
  if (cached?.app === app) return cached.dirs
  const dirs = new Set<string>()
  for (const file of loaded) {
    if (!file.startsWith(app + sep) || file.includes(`${sep}node_modules${sep}`)) continue
    for (let dir = dirname(file); dir !== app && !dirs.has(dir); dir = dirname(dir)) dirs.add(dir)
  }
  codeDirsCache.set(loaded, { app, dirs })
  return dirs
}

/** Whether `path` (relative) is hidden or in node_modules somewhere along it. */
function isSkipped (path: string): boolean {
  return path.split(sep).some(part => part.startsWith('.') || part === 'node_modules')
}

/** Whether the directory `dir` (if it is one) holds, at any depth, a file that passes `test`; MAX_LISTED entries looked at, at most. */
function holdsModule (dir: string, test: (file: string) => boolean): boolean {
  const pending = [dir]
  let listed = 0
  while (pending.length > 0 && listed < MAX_LISTED) {
    const current = pending.pop()!
    let entries
    try {
      entries = readdirSync(current, { withFileTypes: true })
    } catch {
      continue // not a directory (a file without a module's extension), or gone
    }
    for (const entry of entries.slice(0, MAX_LISTED - listed)) {
      listed++
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const path = join(current, entry.name)
      if (entry.isDirectory()) pending.push(path)
      else if (entry.isFile() && test(path)) return true
    }
  }
  return false
}
