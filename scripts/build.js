// Builds dist/: the server code transpiled file by file (esbuild, as the test loader does; `npm
// run typecheck` type-checks lib/ with the tests), the command bundled (dist/cli.js and its
// chunks, below), and the browser client bundled into
// dist/client.js: one script, minified, no runtime dependencies (and dist/client-sync.js, the
// same with synchronized browsing, dist/client-patch.js, with the patcher and idiomorph bundled
// in, and dist/client-sync-patch.js, with both: the server serves one of them as client.js, after
// the `sync` and `patch` options, so a page carries only what is on; dist/client-editor.js, the
// module it imports where errors show places). tsc took ~5 s of an `npm
// start` and checked types `npm test` checks again; this takes well under a second.
import { createHash } from 'node:crypto'
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readFile } from 'node:fs/promises'
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { build, transform } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The client's stylesheets, imported as their text, minified: readable in lib/, small in the bundle. */
const minifiedCssText = {
  name: 'minified-css-text',
  setup (build) {
    build.onLoad({ filter: /\.css$/ }, async ({ path }) => {
      const { code } = await transform(await readFile(path, 'utf8'), { loader: 'css', minify: true })
      return { contents: `export default ${JSON.stringify(code.trim())}`, loader: 'js' }
    })
  }
}
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
const server = readdirSync(new URL('../lib', import.meta.url), { recursive: true, encoding: 'utf8' })
  .filter(path => path.endsWith('.ts') && !path.startsWith('client/') && !path.startsWith('cli/'))
  .map(path => `lib/${path}`)
/**
 * What the command's bundle leaves to Node to load from node_modules: native code, packages that
 * start workers or programs from files of their own (piscina's worker, open's xdg-open,
 * launch-editor's scripts), ws's optional native helpers, selfsigned (CommonJS imported by name
 * with import(): a chunk of its own would give it a default export only), picomatch (the copy
 * @parcel/watcher loads: one to compile at each start, not two), and the optional peers, which
 * come from the user's project when an option asks for them (lib/optional.ts).
 */
const UNBUNDLED = ['@parcel/watcher', 'picomatch', 'piscina', 'open', 'launch-editor', 'bufferutil', 'utf-8-validate', 'selfsigned',
  'bullmq', 'ioredis', 'livereload-js', 'pino-pretty', 'prom-client', 'tsx']
/**
 * What the command's bundle would carry and never run, replaced by a module that throws if it
 * ever is: Fastify's way to its schema compilers (Ajv, fast-json-stringify and their formats,
 * ~1 MB of the bundle's 2.6 MB loaded at each start), which every Fastify the command makes
 * replaces by lazyCompilers() (lib/lazy-compilers.ts, which loads them from Fastify's own place
 * when a route declares a schema), and @fastify/static's glob, which it loads at once and calls
 * only for `wildcard: false` (never set here). Reading, compiling and running them took ~90 ms
 * of each start's first page here (docs/benchmarks.md, sixteenth session).
 */
const NEVER_RUN = {
  '@fastify/ajv-compiler': 'Fastify was made without lazyCompilers() (lib/lazy-compilers.ts)',
  '@fastify/fast-json-stringify-compiler': 'Fastify was made without lazyCompilers() (lib/lazy-compilers.ts)',
  glob: '@fastify/static was registered with wildcard: false'
}
const neverRun = {
  name: 'never-run',
  setup (build) {
    const names = new RegExp(`^(${Object.keys(NEVER_RUN).map(name => name.replace(/[/.]/g, '\\$&')).join('|')})$`)
    build.onResolve({ filter: names }, ({ path }) => ({ path, namespace: 'never-run' }))
    build.onLoad({ filter: /.*/, namespace: 'never-run' }, ({ path }) => ({
      contents: `const fail = () => { throw new Error(${JSON.stringify(`fastify-livereload's command left ${path} out of its bundle, and ${NEVER_RUN[path]}`)}) }\nmodule.exports = new Proxy(fail, { get: () => fail })`,
      loader: 'js'
    }))
  }
}
/**
 * Node's TLS and HTTP/2 modules, which bundled packages require as they load and use only for what
 * a command line may not ask for: Fastify's server module for `https` and `http2` (`--https`),
 * ws's for its client's `wss:` (`--proxy` to an `https:` upstream's WebSockets). Loading them took
 * 4–5 ms of each start on Node 20 and 7–8 ms on Node 24 (measured, 2026-11-29); each is loaded on
 * first use instead (test/cli.test.ts checks a plain start loads none).
 */
const LAZY_BUILTINS = new Map([
  ['fastify/lib/server.js', ['node:https', 'node:http2']],
  ['ws/lib/websocket.js', ['https', 'tls']]
])
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup (build) {
    build.onResolve({ filter: /^(node:)?(https|http2|tls)$/ }, ({ path, importer }) => {
      const lazy = [...LAZY_BUILTINS].find(([file]) => importer.endsWith(`/node_modules/${file}`))?.[1]
      return lazy?.includes(path) === true ? { path, namespace: 'lazy-builtin' } : undefined
    })
    build.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, ({ path }) => ({
      contents: `let loaded\nmodule.exports = new Proxy({}, { get: (_, name) => (loaded ??= require(${JSON.stringify(path)}))[name] })`,
      loader: 'js'
    }))
  }
}
/**
 * undici's cookie helpers (which @fastify/reply-from's undici loads with the rest, for `--proxy`
 * and `dev`) accept Node's own Headers too, looked up as they load: reading `globalThis.Headers`
 * makes Node load its own copy of undici, 6 ms of the dev server's start beside the app's first
 * boot here (15 ms on Node 20 and 20 ms on Node 24 alone). The command calls none of them, so
 * they take undici's Headers only. An undici without that line is bundled as it is, and the
 * `--proxy` test of test/cli.test.ts, which checks that Node's own stays unloaded, says so.
 */
const NODE_HEADERS = '[Headers, globalThis.Headers].filter(Boolean)'
const ownHeaders = {
  name: 'own-headers',
  setup (build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]web[\\/]cookies[\\/]index\.js$/ }, ({ path }) => {
      const text = readFileSync(path, 'utf8')
      return text.includes(NODE_HEADERS) ? { contents: text.replace(NODE_HEADERS, '[Headers]'), loader: 'js' } : undefined
    })
  }
}
/**
 * The command (package.json "bin"): an entry with the flags (dist/cli.js: --help and --version
 * load nothing else), and what it runs (lib/cli/run.ts: the server with Fastify and most of its
 * dependencies, `dev`, `shard-worker`) as one CommonJS bundle (dist/cli-run.cjs), which the entry
 * runs through V8's code cache of its last start (lib/cli/code-cache.ts; docs/benchmarks.md,
 * "The command as one bundle" and the twenty-fourth session). The cache is named by the bundle's
 * content hash, given to the entry. Both beside the other files of dist/, one level below the
 * root, as builtFile() (lib/built.ts) expects of the code that calls it.
 */
async function buildCommand () {
  await build({
    absWorkingDir: root,
    entryPoints: { 'cli-run': 'lib/cli/run.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.cjs' },
    bundle: true,
    plugins: [neverRun, lazyBuiltins, ownHeaders],
    external: UNBUNDLED,
    // What the bundled ES modules ask of import.meta: the bundle's own URL, as each file's was.
    define: { 'import.meta.url': 'importMetaUrl' },
    // import() of a package made require() (an ES module's namespace, as Node ≥ 20.19 gives it):
    // code compiled from a cache cannot import() on Node 20, nor at all without a warning on 24.
    supported: { 'dynamic-import': false },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    format: 'cjs',
    platform: 'node',
    target: ['node20'],
    sourcemap: true,
    sourcesContent: false, // the maps name lib/'s files (coverage reads them there); node_modules' text stays out of the package
    logLevel: 'warning'
  })
  const hash = createHash('sha256').update(readFileSync(new URL('../dist/cli-run.cjs', import.meta.url))).digest('hex').slice(0, 16)
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'lib/cli/main.ts' },
    outdir: 'dist',
    bundle: true,
    define: { RUN_BUNDLE_HASH: JSON.stringify(hash) },
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning'
  })
}
await Promise.all([
  buildCommand(),
  build({
    absWorkingDir: root,
    entryPoints: server,
    outdir: 'dist',
    outbase: 'lib',
    format: 'esm',
    platform: 'node',
    target: ['node20'],
    sourcemap: true,
    logLevel: 'warning'
  }),
  // client-editor.js is a module the client imports where errors show places (served as {path}/editor.js).
  ...[
    ['lib/client/index.ts', 'dist/client.js', 'iife'],
    ['lib/client/sync/index.ts', 'dist/client-sync.js', 'iife'],
    ['lib/client/patch/index.ts', 'dist/client-patch.js', 'iife'],
    ['lib/client/patch/sync.ts', 'dist/client-sync-patch.js', 'iife'],
    ['lib/client/editor/index.ts', 'dist/client-editor.js', 'esm']
  ].map(([entry, outfile, format]) => build({
    absWorkingDir: root,
    entryPoints: [entry],
    plugins: [minifiedCssText],
    outfile,
    define: { PATCHER: String(entry.includes('/patch/')) }, // lib/client/reload.ts
    bundle: true,
    minify: true,
    format,
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning'
  }))
])
/**
 * The command's maps with lib/'s files only: the bundled packages' code is left unmapped. Coverage
 * of the processes the tests start follows these maps (test/loader/child-coverage.mjs), and tap's
 * report lists every file a map names: node_modules' would count in the suite's totals.
 */
function ownSourcesOnly (mapFile) {
  const map = JSON.parse(readFileSync(mapFile, 'utf8'))
  const kept = map.sources.map((source, index) => ({ source, index })).filter(({ source }) => !source.includes('node_modules/'))
  const newIndex = new Map(kept.map(({ index }, i) => [index, i]))
  // A segment of a package's code keeps its column, mapped to nothing, so the code before it stays mapped.
  const mappings = decode(map.mappings).map(line => line.map(segment =>
    segment.length === 1 || !newIndex.has(segment[1]) ? [segment[0]] : [segment[0], newIndex.get(segment[1]), ...segment.slice(2)]))
  writeFileSync(mapFile, JSON.stringify({ ...map, sources: kept.map(({ source }) => source), mappings: encode(mappings) }))
}
for (const name of readdirSync(new URL('../dist', import.meta.url))) {
  if (/^cli(-run)?\.c?js\.map$/.test(name)) ownSourcesOnly(new URL(`../dist/${name}`, import.meta.url))
}
// The command (package.json "bin"), runnable from a clone as npm makes it runnable on install.
chmodSync(new URL('../dist/cli.js', import.meta.url), 0o755)
