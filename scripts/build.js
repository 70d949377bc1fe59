// Builds dist/: the server code transpiled file by file (esbuild, as the test loader does; `npm
// run typecheck` type-checks lib/ with the tests), and the browser client bundled into
// dist/client.js: one script, minified, no runtime dependencies. tsc took ~5 s of an `npm
// start` and checked types `npm test` checks again; this takes well under a second.
import { chmodSync, readdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true })
const server = readdirSync(new URL('../lib', import.meta.url), { recursive: true, encoding: 'utf8' })
  .filter(path => path.endsWith('.ts') && !path.startsWith('client/'))
  .map(path => `lib/${path}`)
await Promise.all([
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
  build({
    absWorkingDir: root,
    entryPoints: ['lib/client/index.ts'],
    outfile: 'dist/client.js',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning'
  })
])
// The command (package.json "bin"), runnable from a clone as npm makes it runnable on install.
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755)
