// Fastify's own schema compilers, loaded when a route first declares a schema to compile, for the
// apps of ours whose routes declare none (the plugin's, @fastify/static's, the proxy's): the
// command's (cli/serve.ts), the dev server's supervisor (dev/dev.ts) and the LiveReload 7 port's
// (channel/lr7-server.ts). The command's bundle leaves Fastify's own way to them out
// (scripts/build.js, NEVER_RUN).
import { createRequire } from 'node:module'

type CompilerFactory = (...args: any[]) => any

/**
 * For Fastify's `schemaController: { compilersFactory }`. Fastify loads its compilers (Ajv,
 * fast-json-stringify) when an app is made: 120 ms of a 190 ms app in a profile of the command's
 * start, ~100 ms of the dev supervisor's. They are Fastify's dependencies, so they are found from
 * where Fastify is.
 */
export function lazyCompilers (): { buildValidator: CompilerFactory, buildSerializer: CompilerFactory } {
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'))
  let validator: CompilerFactory | undefined
  let serializer: CompilerFactory | undefined
  return {
    buildValidator: (...args) => (validator ??= (fromFastify('@fastify/ajv-compiler') as () => CompilerFactory)())(...args),
    buildSerializer: (...args) => (serializer ??= (fromFastify('@fastify/fast-json-stringify-compiler') as () => CompilerFactory)())(...args)
  }
}
