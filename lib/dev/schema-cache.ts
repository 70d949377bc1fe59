// Fastify's schema compilers in a generation's child (child.ts), with what they compile kept from one
// generation to the next. Compiling is most of a boot: 25 routes with params, querystring and
// response schemas took ~150 of ~230 ms, measured; the code of the same schemas, evaluated again,
// takes well under a millisecond each. So each compiled schema's source (Ajv's and
// fast-json-stringify's standalone code, the form Fastify documents for precompiled schemas) goes
// back to the supervisor with `listening`, and the next generation's standby evaluates it before it
// is asked to boot. A schema, or any option of its compiler, that differs is compiled afresh.
//
// The compilers stay Fastify's own: the modules Fastify requires for them (@fastify/ajv-compiler,
// @fastify/fast-json-stringify-compiler) are wrapped in the require cache, so every path in
// Fastify (header schemas, $id and shared schemas, an app's own setValidatorCompiler or
// schemaController, which replace them) runs as without the dev server.
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

/** Standalone code by key (the schema, its place, and its compiler's options and version). */
export type SchemaEntries = Record<string, string>

export interface SchemaCache {
  /** Code compiled by earlier generations: evaluated now, while the standby waits. */
  warm (entries: SchemaEntries): void
  /** What this process compiled or took from the cache: the next generation's. */
  used (): SchemaEntries
}

type Compile = (route: { schema: unknown, httpPart?: string, httpStatus?: string, contentType?: string }) => unknown
type Factory = (externalSchemas: unknown, options?: Record<string, unknown>) => Compile

/** Wraps the schema compilers of the Fastify at `fastifyPath` (a file of its package), for the apps made after. */
export function cacheSchemas (fastifyPath: string): SchemaCache {
  const fromFastify = createRequire(fastifyPath)
  const ajvPath = fromFastify.resolve('@fastify/ajv-compiler')
  const fjsPath = fromFastify.resolve('@fastify/fast-json-stringify-compiler')
  const cache: Cache = { fromAjv: createRequire(ajvPath), fromFjs: createRequire(fjsPath), known: new Map(), evaluated: new Map(), used: {} }
  const ajvExports = cachingAjvCompiler(cache, ajvPath)
  const fjsExports = cachingSerializerSelector(cache, fjsPath)
  wrapExports(fromFastify, ajvPath, ajvExports)
  wrapExports(fromFastify, fjsPath, fjsExports)

  return {
    warm (entries) {
      for (const [key, code] of Object.entries(entries)) {
        cache.known.set(key, code)
        try {
          cache.evaluated.set(key, evaluate(code, key.startsWith('v') ? cache.fromAjv : cache.fromFjs))
        } catch {
          cache.known.delete(key) // compiled afresh when asked for
        }
      }
    },
    used: () => cache.used
  }
}

/** What the wrapped compilers of one cacheSchemas share. */
interface Cache {
  readonly fromAjv: NodeJS.Require
  readonly fromFjs: NodeJS.Require
  readonly known: Map<string, string>
  readonly evaluated: Map<string, unknown>
  readonly used: SchemaEntries
}

/** The function the code kept under `key` exports; undefined when there is none, or it does not run. */
function restore (cache: Cache, key: string): unknown {
  const code = cache.known.get(key)
  if (code === undefined) return undefined
  const ready = cache.evaluated.get(key) // each function once: a second route with the same schema gets its own
  cache.evaluated.delete(key)
  let fn: unknown
  try {
    fn = ready ?? evaluate(code, key.startsWith('v') ? cache.fromAjv : cache.fromFjs)
  } catch {
    cache.known.delete(key)
    return undefined
  }
  cache.used[key] = code
  return fn
}

function store (cache: Cache, key: string, code: string): void {
  cache.known.set(key, code)
  cache.used[key] = code
}

/** The exports of @fastify/ajv-compiler (at `ajvPath`) with its compiler caching. */
function cachingAjvCompiler (cache: Cache, ajvPath: string): unknown {
  const ajvCompiler = original(cache.fromAjv(ajvPath)) as ((opts?: { jtdSerializer?: boolean }) => Factory) & { AjvReference: symbol }
  const standaloneCode = (cache.fromAjv('ajv/dist/standalone') as { default: (ajv: unknown, fn: unknown) => string }).default
  function CachingAjvCompiler (opts?: { jtdSerializer?: boolean }): Factory {
    const real = ajvCompiler(opts)
    if (opts?.jtdSerializer === true) return real
    return (externalSchemas, options = {}) => {
      const base = digest(['v', ajvPath, externalSchemas, options])
      if (base === null) return real(externalSchemas, options)
      const customOptions = options.customOptions as { code?: object } | undefined
      // Ajv keeps each function's source only when asked to: the code Fastify's standalone mode writes.
      const writing = { ...options, customOptions: { ...customOptions, code: { ...customOptions?.code, source: true } } }
      let compile: Compile | undefined
      return route => {
        const key = keyOf('v', [base, route.httpPart, route.contentType, route.schema])
        const restored = key === null ? undefined : restore(cache, key)
        if (restored !== undefined) return restored
        compile ??= real(externalSchemas, writing)
        const validate = compile(route)
        try {
          if (key !== null) store(cache, key, standaloneCode((compile as unknown as Record<symbol, { ajv: unknown }>)[ajvCompiler.AjvReference]!.ajv, validate))
        } catch {} // a keyword Ajv cannot write out: compiled each time, as without the cache
        return validate
      }
    }
  }
  return Object.assign(CachingAjvCompiler, ajvCompiler, { default: CachingAjvCompiler, AjvCompiler: CachingAjvCompiler, [ORIGINAL]: ajvCompiler })
}

/** The exports of @fastify/fast-json-stringify-compiler (at `fjsPath`) with its compiler caching. */
function cachingSerializerSelector (cache: Cache, fjsPath: string): unknown {
  const serializerSelector = original(cache.fromFjs(fjsPath)) as () => Factory
  function CachingSerializerSelector (): Factory {
    const real = serializerSelector()
    return (externalSchemas, options = {}) => {
      const base = digest(['s', fjsPath, externalSchemas, options])
      if (base === null) return real(externalSchemas, options)
      // fast-json-stringify's standalone mode gives the serializer's module code instead of the function.
      const compile = real(externalSchemas, { ...options, mode: 'standalone' })
      return route => {
        const key = keyOf('s', [base, route.httpStatus, route.contentType, route.schema])
        if (key === null) return real(externalSchemas, options)(route)
        if (!cache.known.has(key)) store(cache, key, compile(route) as string)
        return restore(cache, key) ?? real(externalSchemas, options)(route)
      }
    }
  }
  return Object.assign(CachingSerializerSelector, serializerSelector, { default: CachingSerializerSelector, SerializerSelector: CachingSerializerSelector, [ORIGINAL]: serializerSelector })
}

/** On a wrapper, the module it wraps: a second cache in one process wraps Fastify's own, not the first cache. */
const ORIGINAL = Symbol('schema-cache original')
const original = (exports: unknown): unknown => (exports as { [ORIGINAL]?: unknown })[ORIGINAL] ?? exports

/** `exports` in place of what `require(path)` gives Fastify from now on. */
function wrapExports (require: NodeJS.Require, path: string, exports: unknown): void {
  require(path)
  require.cache[path]!.exports = exports
}

/** The value `module.exports` is set to by the CommonJS `code`. */
function evaluate (code: string, require: NodeJS.Require): unknown {
  const module = { exports: {} as unknown }
  // eslint-disable-next-line no-new-func -- the code Ajv and fast-json-stringify wrote for the same app, in an earlier generation
  new Function('module', 'exports', 'require', code)(module, module.exports, require)
  return module.exports
}

/** The cache's key of a validator (`v`) or serializer (`s`) of `parts`; null: not to be cached. */
function keyOf (kind: 'v' | 's', parts: unknown[]): string | null {
  const id = digest(parts)
  return id === null ? null : kind + id
}

/**
 * A digest of `value` as JSON, functions by their source (an Ajv plugin, a keyword's code); null
 * for what JSON cannot hold (a cycle): such a compiler is not cached.
 */
function digest (value: unknown): string | null {
  let json: string
  try {
    json = JSON.stringify(value, (_key, item: unknown) => typeof item === 'function' ? `function ${String(item)}` : item) ?? ''
  } catch {
    return null
  }
  return createHash('sha256').update(json).digest('base64url')
}
