// Which files the editor route opens: a file of the project (by its real path, so a link that
// leads out is refused), never one under node_modules that no error shown named.
import { realpath, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, parse, relative, resolve, sep } from 'node:path'
import { refusal, type EditorRefusal } from './open-request.js'

/** A path as an error showed it (displayPath(): relative to `cwd`, from `~`, or absolute), made absolute again. */
export function resolveShown (shown: string, cwd = process.cwd()): string {
  if (shown === '~') return homedir()
  if (shown.startsWith('~/')) return join(homedir(), shown.slice(2))
  return resolve(cwd, shown)
}

/**
 * The project's directories (and files): the output directory and the watched sources (the dev
 * server watches its entry's directory). An app that gives neither (the plugin only injects) has
 * its working directory, unless that is the file system's root or the home directory.
 */
export function projectPlaces (root: string | null, watch: readonly string[], cwd = process.cwd()): string[] {
  const places = [...(root === null ? [] : [root]), ...watch]
  if (places.length > 0) return places
  return cwd === parse(cwd).root || cwd === homedir() ? [] : [cwd]
}

/**
 * The real path of the file `shown` names, when it may be opened: inside one of `project`
 * (lexically, then once links are followed) and not under node_modules, or a file an error
 * shown named (`isNamed`) there or in a node_modules where Node looks for the project's modules
 * (beside a project directory or above it); and a regular file. Otherwise why not.
 */
export async function projectFile (shown: string, project: readonly string[], isNamed: (path: string) => boolean): Promise<string | EditorRefusal> {
  const path = resolveShown(shown)
  const named = isNamed(path)
  const places = named ? [...project, ...dependencyDirs(project)] : project
  const place = places.find(dir => isInside(path, dir))
  // Decided before the disk is asked anything: no answer says whether a file outside exists.
  if (place === undefined) return refusal('outside-project', 'the file is outside the project (the root, the watched directories, the dev entry\'s directory)')
  let real: string
  try {
    real = await realpath(path)
  } catch {
    return refusal('not-found', 'no such file', 404)
  }
  const realPlaces = await Promise.all(places.map(async dir => await realpath(dir).catch(() => null)))
  const realPlace = realPlaces.find((dir): dir is string => dir !== null && isInside(real, dir))
  if (realPlace === undefined) return refusal('outside-project', 'the file leads out of the project through a symbolic link')
  if (!named && !isNamed(real) && (hasNodeModules(relative(place, path)) || hasNodeModules(relative(realPlace, real)))) {
    return refusal('node-modules', 'the file is under node_modules and no error shown named it')
  }
  if (!(await stat(real)).isFile()) return refusal('not-a-file', 'not a regular file')
  return real
}

/** The node_modules directories Node resolves the project's modules from: in each place and each directory above it. */
function dependencyDirs (project: readonly string[]): string[] {
  const dirs = new Set<string>()
  for (const place of project) {
    for (let dir = place; ; dir = dirname(dir)) {
      dirs.add(join(dir, 'node_modules'))
      if (dirname(dir) === dir) break
    }
  }
  return [...dirs]
}

function isInside (path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}

function hasNodeModules (rel: string): boolean {
  return rel.split(sep).includes('node_modules')
}
