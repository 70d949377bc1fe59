// The command's server code (dist/cli-run.cjs, one CommonJS bundle: scripts/build.js) run with
// V8's code cache of a previous start: the bytecode of every function that start ran, written as
// it exited, so a start compiles almost nothing. Node's own compile cache (≥ 22.1, on in main.ts)
// keeps only what is compiled as a module loads, and Node 20 has none: the first page of
// bench/cli-start.js came 35 ms sooner on Node 20 with this, 16 ms on Node 24 (docs/benchmarks.md,
// twenty-fourth session).
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Script } from 'node:vm'

/** What follows the build's hash in a cache's name: this Node and this machine. */
const CACHE_SUFFIX = `-${process.version}-${process.arch}.v8`
/**
 * The caches kept for one Node, the most recently used: builds installed side by side (two
 * projects on two versions, a clone beside an install) each keep theirs for a server and for
 * `dev`, and a clone rebuilt a hundred times does not keep a hundred. Each cache is ~1.5 MB.
 */
const KEPT_CACHES = 4

/**
 * What the CommonJS module at `file` exports, run through a code cache kept for `id` (the
 * bundle's content hash, which the build gives: V8 checks a cache against the source's length
 * only; and what the start runs, whose functions its cache holds) and for `file`'s place: Node
 * 20's V8 gives a script compiled from a cache the file name of the start that wrote it, so a
 * cache shared by two installs of one build named the other's file in stack traces (and in
 * coverage, which source maps are looked up by). No cache where NODE_DISABLE_COMPILE_CACHE is
 * set, as Node's own.
 */
export function requireWithCodeCache (file: string, id: string): unknown {
  const cacheFile = process.env.NODE_DISABLE_COMPILE_CACHE === undefined ? cacheFileFor(`${id}-${placeHash(file)}`) : null
  let cachedData: Buffer | undefined
  try {
    if (cacheFile !== null) cachedData = readFileSync(cacheFile)
  } catch {} // none yet
  // CommonJS's wrapper, as Node's own loader puts it around a module's text.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'utf8')}\n})`, {
    filename: pathToFileURL(file).href, // as an ES module's: coverage and stack traces name the file's URL
    cachedData
  })
  // Written as the process ends, with what it compiled meanwhile: the server's start and its first requests.
  if (cacheFile !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    process.once('exit', () => { write(cacheFile, script) })
  } else if (cacheFile !== null) {
    touch(cacheFile) // used: the last to go
  }
  const module = { exports: {} }
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  run(module.exports, nodeModule.createRequire(file), module, file, dirname(file))
  return module.exports
}

/**
 * The cache file for `id` on this Node, in a directory of this user's that nobody else can
 * write (a code cache is code): NODE_COMPILE_CACHE's, as Node's own, else the temporary
 * directory's. Null where that cannot be had.
 */
function cacheFileFor (id: string): string | null {
  const uid = process.getuid?.()
  const dir = join(process.env.NODE_COMPILE_CACHE ?? tmpdir(), `fastify-livereload${uid === undefined ? '' : `-${uid}`}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stats = lstatSync(dir)
    if (!stats.isDirectory() || (uid !== undefined && (stats.uid !== uid || (stats.mode & 0o022) !== 0))) return null
  } catch {
    return null
  }
  return join(dir, `${id}${CACHE_SUFFIX}`)
}

/** `file`'s place, short: what tells two installs of one build apart in a cache's name. */
function placeHash (file: string): string {
  // Loaded here, not imported: `dev`'s entry forks the app's first process before it asks for
  // this, and node:crypto takes ~5 ms to load on Node 24 (2 on Node 20), which came first.
  const { createHash } = process.getBuiltinModule('node:crypto')
  return createHash('sha256').update(file).digest('hex').slice(0, 8)
}

/**
 * Whole or not at all: another start may be reading it. Beyond KEPT_CACHES for this Node, the
 * caches used longest ago go. A cache that cannot be written is no failure.
 */
function write (cacheFile: string, script: Script): void {
  const temporary = `${cacheFile}.${process.pid}`
  try {
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 })
    renameSync(temporary, cacheFile)
    const dir = dirname(cacheFile)
    const others = readdirSync(dir).filter(name => name !== basename(cacheFile) && name.endsWith(CACHE_SUFFIX))
      .map(name => ({ name, used: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
      .sort((a, b) => b.used - a.used)
    for (const { name } of others.slice(KEPT_CACHES - 1)) rmSync(join(dir, name), { force: true })
  } catch {
    try { rmSync(temporary, { force: true }) } catch {}
  }
}

/** Marks a cache as used now (its modification time: access times are often not kept). */
function touch (cacheFile: string): void {
  try {
    const now = new Date()
    utimesSync(cacheFile, now, now)
  } catch {} // gone meanwhile: written again next time
}
