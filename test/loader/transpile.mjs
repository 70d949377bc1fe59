// TypeScript to JavaScript for the tests, kept in .tap/ts-cache: one entry per file, used while
// its source, the compiler and the options are the same. Types are not checked here: `npm run
// typecheck` does that.
//
// Everything goes through esbuild, as `npm run build` compiles lib/ to dist/: the processes that
// load dist/ (the isolated builder's child, the shard workers, the examples) report coverage of
// the same code at the same places as the tests that load lib/, and tap's report merges them.
// Coverage hints (`c8 ignore`) are read from the TypeScript source, through the source map.
// esbuild is imported only on a miss: `npm test` fills the cache first (precompile, one
// process), so no test process starts esbuild's service (measured: 0.2 s of CPU in each process).
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CACHE = join(ROOT, '.tap/ts-cache/')
const require = createRequire(import.meta.url)
// Read, not imported: loading the compiler is what the cache spares.
const versionOf = name => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version

const ESBUILD_OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } }
}
/** What a cached file was compiled with: another esbuild or other options make it stale. */
const COMPILER = `esbuild ${versionOf('esbuild')} ${JSON.stringify(ESBUILD_OPTIONS)}`

/** The JavaScript for a .ts file: from the cache, or compiled and cached. */
export async function transpile (file, source) {
  const cached = `${CACHE}${createHash('sha256').update(file).digest('hex').slice(0, 32)}.js`
  const stamp = `// ${createHash('sha256').update(`${COMPILER}\0${source}`).digest('hex')}\n`
  try {
    const text = await readFile(cached, 'utf8')
    if (text.startsWith(stamp)) return text.slice(stamp.length)
  } catch {}
  const { transform } = await import('esbuild')
  const { code } = await transform(source, { ...ESBUILD_OPTIONS, sourcefile: file })
  await mkdir(CACHE, { recursive: true })
  const partial = `${cached}.${process.pid}` // parallel test processes: whole files only, by rename
  await writeFile(partial, stamp + code)
  await rename(partial, cached)
  return code
}

/** Fills the cache for every .ts file under lib/ and test/, in this one process. */
export async function precompile () {
  const listed = await Promise.all(['lib', 'test'].map(async dir => (await readdir(join(ROOT, dir), { recursive: true })).map(name => join(ROOT, dir, name))))
  const files = listed.flat().filter(file => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  await Promise.all(files.map(async file => await transpile(file, await readFile(file, 'utf8'))))
  return files.length
}
