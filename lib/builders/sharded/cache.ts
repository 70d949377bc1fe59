// The sharded builder's memory between server starts: the hash of every input file, and per
// shard the fingerprint of its inputs, its outputs and its merge data. One manifest plus one
// file per shard, so an edit rewrites the manifest and one small shard file. Every write goes
// to a temporary file first and is renamed into place: a crash mid-write leaves the old file.
import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FileRecord } from './inputs.js'

/** Bumped when the layout of the cache changes: an older cache is then ignored. */
const CACHE_VERSION = 1

export interface ShardEntry {
  /** Hash of the shard's key, its files' paths and contents, and the shared inputs. */
  fingerprint: string
  /** The fingerprint of the shared inputs (and worker module) it was built with. */
  shared: string
  /** Its source files, sorted, and the content hash of each. */
  files: string[]
  hashes: string[]
  outputs: string[]
  data: unknown
}

export interface CacheState {
  files: Map<string, FileRecord>
  shards: Map<string, ShardEntry>
  /** The fingerprint of the shards that the last successful merge saw, and what it wrote. */
  merge: { fingerprint: string, outputs: string[] } | null
}

export interface ShardCache {
  /** The saved state, or an empty one (no cache yet, another version, unreadable). */
  load (): Promise<CacheState>
  /** Writes the manifest and the entries of `changed` shards; deletes those of `removed` ones. */
  save (state: CacheState, changed: Iterable<string>, removed: Iterable<string>): Promise<void>
}

interface Manifest {
  version: number
  files: Array<[path: string, size: number, mtimeMs: number, ctimeMs: number, hash: string]>
  shards: Record<string, string>
  merge: CacheState['merge']
}

function emptyState (): CacheState {
  return { files: new Map(), shards: new Map(), merge: null }
}

/** A cache that lives as long as the builder: `cache: false`. */
export function memoryCache (): ShardCache {
  return { load: async () => emptyState(), save: async () => {} }
}

export function diskCache (dir: string): ShardCache {
  const manifestPath = join(dir, 'manifest.json')
  const shardPath = (key: string): string => join(dir, 'shards', `${digest([key]).slice(0, 24)}.json`)

  return {
    async load () {
      const manifest = await readJson<Manifest>(manifestPath)
      if (manifest?.version !== CACHE_VERSION) return emptyState()
      const state = emptyState()
      for (const [path, size, mtimeMs, ctimeMs, hash] of manifest.files) state.files.set(path, { size, mtimeMs, ctimeMs, hash })
      await Promise.all(Object.keys(manifest.shards).map(async key => {
        const { key: saved, ...entry } = await readJson<ShardEntry & { key: string }>(shardPath(key)) ?? {}
        if (saved === key) state.shards.set(key, entry as ShardEntry)
      }))
      state.merge = manifest.merge
      return state
    },
    async save (state, changed, removed) {
      await mkdir(join(dir, 'shards'), { recursive: true })
      await Promise.all([...changed].map(async key => {
        const entry = state.shards.get(key)
        if (entry !== undefined) await writeAtomic(shardPath(key), JSON.stringify({ key, ...entry }))
      }))
      await Promise.all([...removed].map(key => rm(shardPath(key), { force: true })))
      const manifest: Manifest = {
        version: CACHE_VERSION,
        files: [...state.files].map(([path, r]) => [path, r.size, r.mtimeMs, r.ctimeMs, r.hash]),
        shards: Object.fromEntries([...state.shards.keys()].map(key => [key, shardPath(key)])),
        merge: state.merge
      }
      await writeAtomic(manifestPath, JSON.stringify(manifest))
    }
  }
}

/** A short, stable hash of some strings (each one delimited, so ['ab', 'c'] ≠ ['a', 'bc']). */
export function digest (parts: Iterable<string>): string {
  const hash = createHash('sha1')
  for (const part of parts) hash.update(`${part.length}:${part}`)
  return hash.digest('base64url')
}

async function readJson<T> (path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch {
    return null
  }
}

let sequence = 0
async function writeAtomic (path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${++sequence}.tmp`
  await writeFile(temporary, text)
  await rename(temporary, path)
}
