// Finds the sharded builder's inputs on disk and hashes their contents. A file whose size,
// mtime and ctime are unchanged keeps its recorded hash, so a scan of thousands of files reads
// only the ones that changed.
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ShardSource } from '../../../types/index.js'
import { kindOf } from '../../paths.js'

/** What is known about one input file: its stat signature and the hash of its contents. */
export interface FileRecord {
  size: number
  mtimeMs: number
  ctimeMs: number
  hash: string
}

export interface InputRules {
  /** Absolute source directories. */
  sources: readonly string[]
  /** Selects source files by their path relative to their source directory. */
  include: (relative: string) => boolean
  /** Leaves out files and whole directories, by their path relative to the walked directory. */
  ignore: (relative: string) => boolean
  /** Shared inputs: absolute paths (a file or a directory), or `{ base, glob }` for a glob. */
  shared: ReadonlyArray<string | { base: string, glob: (relative: string) => boolean }>
}

export interface Inputs {
  /** Source files, minus the shared ones, in walk order. */
  files: ShardSource[]
  /** Shared input files (absolute, sorted). */
  shared: string[]
}

export async function findInputs (rules: InputRules): Promise<Inputs> {
  const shared = new Set<string>()
  for (const entry of rules.shared) {
    if (typeof entry === 'string') {
      const kind = await kindOf(entry)
      if (kind === 'directory') for (const rel of await walk(entry, rules.ignore)) shared.add(join(entry, rel))
      else if (kind === 'file') shared.add(entry)
    } else {
      for (const rel of await walk(entry.base, rules.ignore)) if (entry.glob(rel)) shared.add(join(entry.base, rel))
    }
  }
  const files: ShardSource[] = []
  const seen = new Set<string>()
  for (const source of rules.sources) {
    for (const rel of await walk(source, rules.ignore)) {
      const path = join(source, rel)
      if (!rules.include(rel) || shared.has(path) || seen.has(path)) continue
      seen.add(path)
      files.push({ path, relative: rel, source })
    }
  }
  return { files, shared: [...shared].sort() }
}

/** Relative paths (with `/`) of the files below `dir`; a missing directory has none. */
async function walk (dir: string, ignore: (relative: string) => boolean): Promise<string[]> {
  const found: string[] = []
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(rel === '' ? dir : join(dir, rel), { withFileTypes: true }).catch(() => [])
    await Promise.all(entries.map(async entry => {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`
      if (ignore(child)) return
      let isDirectory = entry.isDirectory()
      if (entry.isSymbolicLink()) { // followed to files only: a linked directory could loop
        if (await kindOf(join(dir, child)) !== 'file') return
        isDirectory = false
      }
      if (isDirectory) await visit(child)
      else found.push(child)
    }))
  }
  await visit('')
  return found
}

/**
 * Content hashes of `paths`, reusing `records` where the stat signature is unchanged (and the
 * path is not in `suspect`: the watcher said it changed). Files that vanished are left out.
 * `records` is updated in place and keeps only the given paths.
 */
export async function hashFiles (paths: readonly string[], records: Map<string, FileRecord>, suspect: ReadonlySet<string>): Promise<Map<string, string>> {
  const hashes = new Map<string, string>()
  const wanted = new Set(paths)
  for (const path of records.keys()) if (!wanted.has(path)) records.delete(path)
  const BATCH = 64 // bounded parallelism: thousands of files must not exhaust file descriptors
  for (let i = 0; i < paths.length; i += BATCH) {
    await Promise.all(paths.slice(i, i + BATCH).map(async path => {
      const record = await hashFile(path, records.get(path), suspect.has(path))
      if (record === null) {
        records.delete(path)
        return
      }
      records.set(path, record)
      hashes.set(path, record.hash)
    }))
  }
  return hashes
}

async function hashFile (path: string, known: FileRecord | undefined, isSuspect: boolean): Promise<FileRecord | null> {
  try {
    const { size, mtimeMs, ctimeMs } = await stat(path)
    if (!isSuspect && known !== undefined && known.size === size && known.mtimeMs === mtimeMs && known.ctimeMs === ctimeMs) return known
    return { size, mtimeMs, ctimeMs, hash: createHash('sha1').update(await readFile(path)).digest('base64url') }
  } catch {
    return null
  }
}
