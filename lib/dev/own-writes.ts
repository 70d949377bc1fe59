// What a generation's app writes into its own directory while it boots (child.ts): a code
// generator run at start (a file written, or a temp file renamed into place) changes files the
// watcher reports, and a version must not restart for what it wrote itself. The fs functions that
// write a file or move one into place are wrapped, in the CommonJS module and, through
// syncBuiltinESMExports, in the ES ones; each path is announced before the write reaches the disk,
// so the supervisor hears of it before the watcher can. Writes from other processes the app
// starts, and from worker threads, are not seen.
import { constants } from 'node:fs'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { contentHash } from './content-hash.js'

/** Paths followed per boot at most: an app that writes thousands (a cache) has the rest judged as anyone's writes. */
export const MAX_WRITES = 1000

type Fn = (...args: unknown[]) => unknown
/** Which argument names the file written, and, for `open`, which holds the flags. */
type Target = { readonly path: number, readonly flags?: number }

const require = createRequire(import.meta.url)
const FS: Record<string, Target> = {
  writeFile: { path: 0 },
  writeFileSync: { path: 0 },
  appendFile: { path: 0 },
  appendFileSync: { path: 0 },
  rename: { path: 1 },
  renameSync: { path: 1 },
  copyFile: { path: 1 },
  copyFileSync: { path: 1 },
  open: { path: 0, flags: 1 },
  openSync: { path: 0, flags: 1 },
  createWriteStream: { path: 0 }
}
const PROMISES: Record<string, Target> = {
  writeFile: { path: 0 },
  appendFile: { path: 0 },
  rename: { path: 1 },
  copyFile: { path: 1 },
  open: { path: 0, flags: 1 }
}
const WRITING = constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC | constants.O_APPEND

export interface OwnWrites {
  /** From now on, each file written under the app's directory is announced (once) and remembered. */
  start (): void
  /** Stops, and says what each file remembered holds now (sha1, base64; null: gone). */
  stop (): Record<string, string | null>
}

/**
 * Wraps the fs functions once; `onWrite` hears each new path under `appDir` (not node_modules)
 * while started, before it is written. Outside start() and stop(), the wrappers only pass through.
 */
export function trackOwnWrites (appDir: string, onWrite: (path: string) => void): OwnWrites {
  const written = new Set<string>()
  let isOn = false
  const note = (target: unknown): void => {
    if (!isOn || written.size >= MAX_WRITES) return
    const path = pathOf(target)
    if (path === null || !path.startsWith(appDir + sep) || path.includes(`${sep}node_modules${sep}`) || written.has(path)) return
    written.add(path)
    onWrite(path)
  }
  wrap(require('node:fs') as Record<string, unknown>, FS, note)
  wrap(require('node:fs/promises') as Record<string, unknown>, PROMISES, note)
  syncBuiltinESMExports() // `import { writeFileSync } from 'node:fs'` gets the wrapper too
  return {
    start () {
      written.clear()
      isOn = true
    },
    stop () {
      isOn = false
      return Object.fromEntries([...written].map(path => [path, contentHash(path)]))
    }
  }
}

function wrap (module: Record<string, unknown>, targets: Record<string, Target>, note: (target: unknown) => void): void {
  for (const [name, target] of Object.entries(targets)) {
    const original = module[name]
    if (typeof original !== 'function') continue
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      if (target.flags === undefined || isWriting(args[target.flags])) note(args[target.path])
      return (original as Fn).apply(this, args)
    }
    Object.defineProperty(wrapper, 'name', { value: original.name })
    module[name] = wrapper
  }
}

/** Whether `open`'s flags write (a string such as 'w', 'a', 'r+', or numbers); reading is the default. */
function isWriting (flags: unknown): boolean {
  if (typeof flags === 'string') return /[wa+]/.test(flags)
  return typeof flags === 'number' && (flags & WRITING) !== 0
}

/** The absolute path a file argument names; null for a descriptor, a FileHandle or anything else. */
function pathOf (target: unknown): string | null {
  try {
    if (typeof target === 'string') return resolve(target)
    if (target instanceof URL) return target.protocol === 'file:' ? fileURLToPath(target) : null
    if (Buffer.isBuffer(target)) return resolve(target.toString())
  } catch {}
  return null
}
