import { fstatSync, readlinkSync } from 'node:fs'
import { isAbsolute, relative, sep } from 'node:path'
import picomatch from 'picomatch'

/**
 * Ignored in every watched directory. Editors' swap, backup and probe files: vim (`.swp`,
 * `~`, `4913`), emacs (`.#x`, `#x#`), JetBrains safe-write temporaries. And what generators keep
 * for themselves beside what they build, never a page: Sphinx's `.doctrees/` and `.buildinfo`
 * (in the output when `-d` is not given), Jekyll's `.jekyll-cache/` and `.jekyll-metadata`.
 */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  '**/.git', '**/.git/**', '**/node_modules', '**/node_modules/**', '**/.DS_Store',
  '**/*.swp', '**/*.swo', '**/*.swx', '**/*~', '**/.#*', '**/#*#', '**/4913',
  '**/*___jb_tmp___', '**/*___jb_old___',
  '**/.doctrees', '**/.doctrees/**', '**/.buildinfo', '**/.jekyll-cache', '**/.jekyll-cache/**', '**/.jekyll-metadata'
])

export interface IgnoreRules {
  /** picomatch globs or plain paths, relative to the watched directory: applied natively. */
  readonly globs: readonly string[]
  /** Tested in JS against the path relative to the watched directory, with `/` separators. */
  readonly regexps: readonly RegExp[]
}

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

/**
 * The rules with the files this process's own output goes to (`node server.js > site/server.log`,
 * nohup's nohup.out), as absolute paths: never a change, or each line logged of a reload would be
 * one more change, reloading for ever. Linux says where through /proc; elsewhere, none.
 */
export function withOwnOutput (ignore: IgnoreRules): IgnoreRules {
  const files: string[] = []
  for (const fd of [1, 2]) {
    try {
      if (fstatSync(fd).isFile()) files.push(readlinkSync(`/proc/self/fd/${fd}`))
    } catch {} // closed, or no /proc
  }
  return files.length === 0 ? ignore : { ...ignore, globs: [...ignore.globs, ...new Set(files)] }
}

/**
 * `paths` with each absolute one under `from` named under `to` too: a watcher that reports a
 * directory by another of its names (the target of the link it is, or its name under a link
 * above it, where /proc names the server's output file by its real path) still leaves them out.
 */
export function withAliases (paths: readonly string[], from: string, to: string): string[] {
  if (from === to) return [...paths]
  const aliases = paths.filter(path => isAbsolute(path) && (path === from || path.startsWith(from + sep))).map(path => to + path.slice(from.length))
  return aliases.length === 0 ? [...paths] : [...paths, ...aliases]
}
