// Which shard each source file belongs to. Pure: the same files always give the same shards.
import type { ShardOf, ShardSource } from '../../../types/index.js'

/** The shard key of files at the top level of a source, for `shardOf: 'directory'`. */
const TOP_LEVEL_KEY = '.'

/** Turns the `shardOf` option into a function; `shards` is the count for `'hash'`. */
export function shardFunction (shardOf: ShardOf, shards: number): (file: ShardSource) => string {
  if (shardOf === 'directory') return byDirectory
  if (shardOf === 'hash') {
    const width = String(shards - 1).length
    return file => String(fnv1a(file.relative) % shards).padStart(width, '0')
  }
  return shardOf
}

function byDirectory (file: ShardSource): string {
  const slash = file.relative.indexOf('/')
  return slash === -1 ? TOP_LEVEL_KEY : file.relative.slice(0, slash)
}

/**
 * Groups the files by shard key; keys and the files of each shard come out sorted. Throws a
 * TypeError that names the file when the function returns no usable key.
 */
export function partition (files: readonly ShardSource[], shardOf: (file: ShardSource) => string): Map<string, string[]> {
  const shards = new Map<string, string[]>()
  for (const file of files) {
    const key = shardOf(file)
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(`shardOf returned ${key === '' ? 'an empty string' : typeof key} for ${file.relative}: it must return a non-empty string`)
    }
    const list = shards.get(key)
    if (list === undefined) shards.set(key, [file.path])
    else list.push(file.path)
  }
  const sorted = new Map<string, string[]>()
  for (const key of [...shards.keys()].sort(compare)) sorted.set(key, shards.get(key)!.sort(compare))
  return sorted
}

/** Code-point order: the same on every machine and locale. */
export function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** 32-bit FNV-1a over the UTF-16 code units: stable, fast, spreads paths evenly. */
function fnv1a (text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
