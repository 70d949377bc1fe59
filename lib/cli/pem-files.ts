// The files the command reads for HTTPS (--cert, --key, the cached certificate) and the directory
// it keeps a private key in. A path may name anything: a FIFO blocks a read for ever, /dev/zero
// never ends, a link leads elsewhere. Only regular files of a PEM file's size are read, and a
// key is kept only in a directory of the user's that no one else can enter.
import { constants, type Stats } from 'node:fs'
import { chmod, lstat, mkdir, open } from 'node:fs/promises'
import { displayPath } from '../paths.js'

/** What a PEM file may weigh (bytes): a certificate is 1–2 KB, a long chain tens of KB. */
export const MAX_PEM_BYTES = 1024 * 1024

/** A file that is not one to read as PEM: `reason` says what it is instead ("is a named pipe"). */
export class NotPemFile extends Error {
  override readonly name = 'NotPemFile'
  constructor (readonly reason: string) {
    super(reason)
  }
}

/**
 * The text of `file`: a regular file of at most MAX_PEM_BYTES. Opened without blocking (a FIFO
 * opens at once, and is then refused by its type) and read to that bound at most, whatever it
 * says its size is. Rejects with NotPemFile for anything else, or with the system's error.
 */
export async function readPemFile (file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0))
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new NotPemFile(`is not a regular file (${kindOf(stats)})`)
    const tooLong = new NotPemFile(`is longer than a PEM file can be (${MAX_PEM_BYTES} bytes)`)
    if (stats.size > MAX_PEM_BYTES) throw tooLong
    const buffer = Buffer.alloc(MAX_PEM_BYTES + 1)
    let length = 0
    for (let reads = 0; length <= MAX_PEM_BYTES && reads < 1000; reads++) { // a file that grows as it is read: bounded all the same
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > MAX_PEM_BYTES) throw tooLong
    return buffer.toString('utf8', 0, length)
  } finally {
    await handle.close()
  }
}

function kindOf (stats: Stats): string {
  if (stats.isDirectory()) return 'a directory'
  if (stats.isFIFO()) return 'a named pipe'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  if (stats.isSocket()) return 'a socket'
  return 'not a file'
}

/** Whether this process's user owns what `stats` describe (where there are no uids, on Windows, it does). */
export function isOwn (stats: Stats): boolean {
  return process.getuid === undefined || stats.uid === process.getuid()
}

/** Whether others than the owner may reach what `stats` describe by `bits` (0o077: at all, 0o022: to write); never on Windows, whose modes say nothing of it. */
export function isOpenToOthers (stats: Stats, bits: number): boolean {
  return process.getuid !== undefined && (stats.mode & bits) !== 0
}

/**
 * `dir`, made if missing, mode 0700 and the user's: where a private key may be kept. One that
 * was open to others is closed (chmod 0700), and `problem` says it was: a key found there may
 * have been read, or put there, by someone else. Not `isUsable` when it cannot be made private
 * (another user's, or a link): `problem` says why, and nothing is to be kept there.
 */
export async function privateDir (dir: string): Promise<{ isUsable: boolean, problem: string | null }> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const stats = await lstat(dir)
  if (!stats.isDirectory()) return { isUsable: false, problem: `${displayPath(dir)} is not a directory of its own (a link?)` }
  if (!isOwn(stats)) return { isUsable: false, problem: `${displayPath(dir)} belongs to another user (uid ${stats.uid})` }
  if (!isOpenToOthers(stats, 0o077)) return { isUsable: true, problem: null }
  await chmod(dir, 0o700)
  return { isUsable: true, problem: `${displayPath(dir)} was open to other users (mode ${(stats.mode & 0o777).toString(8)}; now 700)` }
}
