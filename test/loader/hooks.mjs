// Module hooks for the tests: `./x.js` resolves to `./x.ts` when only that exists (the imports
// are written for the compiled output), and .ts files load as the JavaScript transpile.mjs makes
// of them, with an inline source map that Node keeps for stack traces and tap's coverage report.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { transpile } from './transpile.mjs'

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
  return { format: 'module', source: await transpile(file, source), shortCircuit: true }
}

/** `./a.js` (a relative or file: specifier, maybe with a query, as tap's mocks add) as `./a.ts`; else null. */
function typeScriptSibling (specifier) {
  if (!/^(\.{1,2}\/|file:)/.test(specifier)) return null
  const end = specifier.search(/[?#]|$/)
  return specifier.slice(0, end).endsWith('.js') ? `${specifier.slice(0, end - 3)}.ts${specifier.slice(end)}` : null
}
