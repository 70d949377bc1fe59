// Module hooks for the tests: `./x.js` resolves to `./x.ts` when only that exists (the imports
// are written for the compiled output), and .ts files are transpiled, with an inline source map
// that Node keeps for stack traces and tap's coverage report. Types are not checked here:
// `npm run typecheck` does that.
//
// lib/ goes through TypeScript itself, as `npm run build` compiles it: the processes that load
// dist/ (the isolated builder's child, the examples) report coverage of the same functions at
// the same places, and tap's report merges them. Its output is cached in .tap/ts-cache, so most
// test processes never load the compiler. Tests and helpers go through esbuild, which is faster.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url))
const CACHE = fileURLToPath(new URL('../../.tap/ts-cache/', import.meta.url))
// tsconfig.json's options that shape the output (NodeNext in a "type": "module" package emits ES modules).
const COMPILER_OPTIONS = { target: 'ES2022', module: 'ES2022', verbatimModuleSyntax: true, esModuleInterop: true }
// Read, not imported: loading the compiler is what the cache spares.
const TYPESCRIPT_VERSION = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('typescript/package.json'), 'utf8')).version
let typescript

export async function resolve (specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context)
  } catch (err) {
    const ts = typeScriptSibling(specifier)
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || ts === null) throw err
    return await nextResolve(ts, context)
  }
}

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:') || !new URL(url).pathname.endsWith('.ts')) return await nextLoad(url, context)
  const file = fileURLToPath(url)
  const source = await readFile(file, 'utf8')
  const code = file.startsWith(LIB) ? await compile(file, source) : await strip(file, source)
  return { format: 'module', source: code, shortCircuit: true }
}

/** `./a.js` (a relative or file: specifier, maybe with a query, as tap's mocks add) as `./a.ts`; else null. */
function typeScriptSibling (specifier) {
  if (!/^(\.{1,2}\/|file:)/.test(specifier)) return null
  const end = specifier.search(/[?#]|$/)
  return specifier.slice(0, end).endsWith('.js') ? `${specifier.slice(0, end - 3)}.ts${specifier.slice(end)}` : null
}

async function strip (file, source) {
  const { code } = await transform(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } }
  })
  return code
}

async function compile (file, source) {
  // One entry per file, kept while its source, the compiler and the options are the same.
  const cached = `${CACHE}${createHash('sha256').update(file).digest('hex').slice(0, 32)}.js`
  const stamp = `// ${createHash('sha256').update(`${TYPESCRIPT_VERSION}\0${JSON.stringify(COMPILER_OPTIONS)}\0${source}`).digest('hex')}\n`
  try {
    const text = await readFile(cached, 'utf8')
    if (text.startsWith(stamp)) return text.slice(stamp.length)
  } catch {}
  typescript ??= (await import('typescript')).default
  const { outputText } = typescript.transpileModule(source, {
    fileName: file,
    compilerOptions: { ...COMPILER_OPTIONS, inlineSourceMap: true, inlineSources: true }
  })
  await mkdir(CACHE, { recursive: true })
  const partial = `${cached}.${process.pid}` // parallel test processes: whole files only, by rename
  await writeFile(partial, stamp + outputText)
  await rename(partial, cached)
  return outputText
}
