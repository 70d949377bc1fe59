// The schemas' code (schema-cache.ts) kept on disk from one start of the dev server to the next:
// the first version of a start evaluates what the last start's versions compiled, where it would
// compile every schema again (the bench's 50-route app: its `ready()` 30–34 ms → 4–5 ms on Node
// 24, measured). In the project's `node_modules/.cache/fastify-livereload/` (where Babel, ESLint
// and AVA keep theirs), one file per app entry. It is code the versions run, so it is read only
// from a directory and a file of this user's that no one else may write, as the command's code
// cache (cli/code-cache.ts); NODE_DISABLE_COMPILE_CACHE turns it off as it turns that off. A file
// written by other compilers' versions, or by other rules of what may be kept, is not read.
import { createHash } from 'node:crypto'
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs'
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { SchemaEntries } from './schema-cache.js'

/** A file larger than this is not read: the code of thousands of schemas, or not ours. */
const MAX_BYTES = 16 * 1024 * 1024
/**
 * What may be kept, by this code's rules (schema-cache.ts): a file kept by other rules is not read.
 * 2: no validator that reads a format from ajv-formats (it answered 500 once restored).
 */
const FORMAT = 2

export interface SchemaStore {
  /** What the last start kept, for these compilers; none when there is no file, or it is not for them or these rules. */
  read (): SchemaEntries
  /** Keeps `entries` for the next start; settles once written, or once the write failed (left alone: the next start compiles). */
  write (entries: SchemaEntries): Promise<void>
}

/**
 * The store of the app at `entry` for `compilers` (their versions: SchemaCache's), in the nearest
 * `node_modules` above the entry; null where there is none.
 */
export function schemaStore (entry: string, compilers: string): SchemaStore | null {
  const modules = process.env.NODE_DISABLE_COMPILE_CACHE === undefined ? nearestModules(dirname(entry)) : null
  if (modules === null) return null
  const dir = join(modules, '.cache', 'fastify-livereload')
  const file = join(dir, `schemas-${createHash('sha256').update(entry).digest('base64url').slice(0, 16)}.json`)
  return {
    read () {
      let fd: number | undefined
      try {
        // The file opened, then checked by what was opened: no link followed, and nothing swapped in between.
        fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0)) // a FIFO there does not wait for a writer
        const stats = fstatSync(fd)
        if (!stats.isFile() || !isPrivate(stats) || !isPrivate(lstatSync(dir)) || stats.size > MAX_BYTES) return {}
        const kept = JSON.parse(readFileSync(fd, 'utf8')) as { format?: unknown, compilers?: unknown, entries?: unknown }
        return kept.format === FORMAT && kept.compilers === compilers && isEntries(kept.entries) ? kept.entries : {}
      } catch {
        return {} // none yet, a link, or not JSON
      } finally {
        if (fd !== undefined) closeSync(fd)
      }
    },
    async write (entries) {
      // Whole or not at all: another start may be reading it (a rename replaces the file in one step).
      const temporary = `${file}.${process.pid}`
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 })
        if (!isPrivate(await lstat(dir))) return // made by someone else: a link there could point anywhere
        await writeFile(temporary, JSON.stringify({ format: FORMAT, compilers, entries }), { flag: 'wx', mode: 0o600 })
        await rename(temporary, file)
      } catch {
        await rm(temporary, { force: true }).catch(() => {}) // a disk full: no half-written file left; the next start compiles
      }
    }
  }
}

/** The nearest `node_modules` directory at or above `dir`; null when there is none. */
function nearestModules (dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    const modules = join(at, 'node_modules')
    if (existsSync(modules)) return modules
    if (dirname(at) === at) return null
  }
}

/** Whether `stats` are a directory's or a file's of this user's (not a link) that no one else may write. */
function isPrivate (stats: Stats): boolean {
  const uid = process.getuid?.()
  return !stats.isSymbolicLink() && (uid === undefined || (stats.uid === uid && (stats.mode & 0o022) === 0)) // Windows: no owner, no such modes
}

function isEntries (value: unknown): value is SchemaEntries {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every(code => typeof code === 'string')
}
