// What a generation's child (child.ts) reports of each module of the app it loaded: the file's
// content hash, which tells the supervisor whether a change it hears of later is already in this
// version or is newer. Read from the file, not from the loader's source: a TypeScript loader (tsx)
// hands on its output, not the file.
import { statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { contentHash } from './content-hash.js'

/**
 * The file system stamps a change with the kernel's coarse clock, which runs up to a tick (1–10 ms)
 * behind the one Date.now() reads: a change is taken as made since a moment when its stamp is
 * within this many ms before that moment, or after it.
 */
const CLOCK_SLACK_MS = 20
/**
 * A stamp in whole seconds comes from a file system that keeps no finer (ext4 with small inodes,
 * HFS+, FAT's two seconds, some network and FUSE mounts): within this many ms before, it may be since.
 */
const WHOLE_SECONDS_SLACK_MS = 2000

/** Whether a file whose ctime is `ctimeMs` may have changed at or after `since` (both Date.now() ms). */
export function isChangedSince (ctimeMs: number, since: number): boolean {
  return ctimeMs >= since - (ctimeMs % 1000 === 0 ? WHOLE_SECONDS_SLACK_MS : CLOCK_SLACK_MS)
}

/**
 * The hash of the app's file at `url` (none for node_modules' or what is not a file), read before
 * the loader reads it (module hooks): a later write can only make it stale, never fresh.
 */
export function appFileHash (url: string): string | null {
  return isAppFile(url) ? contentHash(fileURLToPath(url)) : null
}

/**
 * The hash of the app's file at `url` as a version that began to load its modules at `since` (a
 * Date.now()) loaded it, asked once it has: its content now, unless the file changed since (its
 * ctime, which nothing sets back, as `tar` and `touch` set mtime) or is gone, which reads as a
 * hash no file has: the version may hold the content before that change.
 */
export function loadedFileHash (url: string, since: number): string | null {
  if (!isAppFile(url)) return null
  const file = fileURLToPath(url)
  const hash = contentHash(file) // first, then the time: a change between the two reads as one since
  const changed = statSync(file, { throwIfNoEntry: false })?.ctimeMs ?? Infinity
  return hash === null || isChangedSince(changed, since) ? '' : hash
}

const isAppFile = (url: string): boolean => url.startsWith('file:') && !url.includes('/node_modules/')
