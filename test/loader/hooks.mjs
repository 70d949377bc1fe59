// Module hooks for the tests: `./x.js` resolves to `./x.ts` when only that exists (the imports
// are written for the compiled output), and .ts files are transpiled by esbuild with an inline
// source map, which Node keeps for stack traces and tap's coverage report. Types are not
// checked here: `npm run typecheck` does that.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transform } from 'esbuild'

// What esbuild needs of tsconfig.json to emit what tsc would.
const COMPILER_OPTIONS = { verbatimModuleSyntax: true, useDefineForClassFields: true }

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
  const { code } = await transform(await readFile(file, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: file,
    tsconfigRaw: { compilerOptions: COMPILER_OPTIONS }
  })
  return { format: 'module', source: code, shortCircuit: true }
}

/** `./a.js` (a relative or file: specifier, maybe with a query, as tap's mocks add) as `./a.ts`; else null. */
function typeScriptSibling (specifier) {
  if (!/^(\.{1,2}\/|file:)/.test(specifier)) return null
  const end = specifier.search(/[?#]|$/)
  return specifier.slice(0, end).endsWith('.js') ? `${specifier.slice(0, end - 3)}.ts${specifier.slice(end)}` : null
}
