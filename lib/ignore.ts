import { isAbsolute, relative, sep } from 'node:path'
import picomatch from 'picomatch'
import { DEFAULT_IGNORE, type IgnoreRules } from './options.js'

/** The default ignores, tested against a path relative to the watched directory, with `/` separators. */
export const isDefaultIgnored = picomatch([...DEFAULT_IGNORE], { dot: true })

/**
 * Whether an absolute path below `dir` is ignored, by the same rules as the watcher's events:
 * the defaults, the user's globs (relative to `dir`, or absolute paths) and RegExps.
 */
export function ignoredPaths (dir: string, ignore: IgnoreRules): (path: string) => boolean {
  const own = ignore.globs.slice(DEFAULT_IGNORE.length)
  const absolute = own.filter(glob => isAbsolute(glob))
  const relativeGlobs = own.filter(glob => !isAbsolute(glob))
  const matches = relativeGlobs.length === 0 ? () => false : picomatch(relativeGlobs, { dot: true })
  return path => {
    if (absolute.some(prefix => path === prefix || path.startsWith(prefix + sep))) return true
    const rel = relative(dir, path).split(sep).join('/')
    return isDefaultIgnored(rel) || matches(rel) || ignore.regexps.some(re => re.test(rel))
  }
}
