import { realpathSync } from 'node:fs'
import { join, sep } from 'node:path'

/** The encodings @fastify/static's `preCompressed` may pick, as file extensions. */
const COMPRESSED_SIBLING = /\.(?:br|gz|deflate)$/

/**
 * What we pass to @fastify/static under the user's own `static` options (which win, key by
 * key). @fastify/static 10 answers traversal in every encoding itself (`..`, `%2e%2e`, `%2f`,
 * `%5c`, `%00`, `//`: 403 or 400) and redirects nothing unless `redirect` is on; what it does
 * not do by default is refuse dotfiles (its `dotfiles` defaults to 'allow') or symlinks
 * leading out of `root` (send follows them). See docs/security.md.
 */
export function staticDefaults (root: string): { dotfiles: 'ignore', allowedPath: (pathname: string) => boolean, onFile: (file: string) => void } {
  const isInside = createRootCheck(root)
  return {
    dotfiles: 'ignore', // `.env`, `.git/config`, `.npmrc`: a 404, as if they did not exist
    // Called with the requested path and again with the file chosen for it (an index, an extension).
    allowedPath: pathname => isInside(join(root, pathname)),
    // allowedPath never sees the `.br`/`.gz` sibling that preCompressed picks: check that one here.
    onFile (file) {
      if (COMPRESSED_SIBLING.test(file) && !isInside(file)) throw Object.assign(new Error('Not Found'), { statusCode: 404 })
    }
  }
}

/**
 * True when `file` resolves (symlinks followed) inside `root`, or does not exist (send then
 * answers 404 itself). One realpath system call per request; the root's own realpath is cached
 * and taken again only when a file seems to lie outside it (the root may be re-created or
 * re-pointed while the server runs).
 */
export function createRootCheck (root: string): (file: string) => boolean {
  let realRoot: string | null = null
  const resolveRoot = (): string | null => {
    realRoot = tryRealpath(root)
    return realRoot
  }
  return file => {
    const real = tryRealpath(file)
    if (real === null) return true
    const base = realRoot ?? resolveRoot()
    if (base !== null && isWithin(real, base)) return true
    const fresh = resolveRoot()
    return fresh !== null && fresh !== base && isWithin(real, fresh)
  }
}

function isWithin (file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}

function tryRealpath (file: string): string | null {
  try {
    return realpathSync.native(file)
  } catch {
    return null
  }
}
