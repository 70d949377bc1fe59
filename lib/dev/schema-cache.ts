// Fastify's schema compilers in a generation's child (child.ts), with what they compile kept from one
// generation to the next. Compiling is most of a boot: 25 routes with params, querystring and
// response schemas took ~150 of ~230 ms, measured; the code of the same schemas, evaluated again,
// takes well under a millisecond each. So each compiled schema's source (Ajv's and
// fast-json-stringify's standalone code, the form Fastify documents for precompiled schemas) goes
// back to the supervisor with `listening`, and the next generation's standby evaluates it before it
// is asked to boot. A schema, or any option of its compiler, that differs is compiled afresh.
//
// The compilers stay Fastify's own: what Fastify's schema controller requires for them
// (@fastify/ajv-compiler, @fastify/fast-json-stringify-compiler) is wrapped, for that module of
// Fastify's alone, so every path in Fastify (header schemas, $id and shared schemas, an app's own
// setValidatorCompiler or schemaController, which replace them) runs as without the dev server,
// and the app, or those packages' own modules, get the packages as they are.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** Standalone code by key (the schema, its place, and its compiler's options and version). */
export type SchemaEntries = Record<string, string>

export interface SchemaCache {
  /** Code compiled by earlier generations: evaluated now, while the standby waits. */
  warm (entries: SchemaEntries): void
  /** What this process compiled or took from the cache: the next generation's. */
  used (): SchemaEntries
  /**
   * Loads the compilers themselves now (a standby's, while it waits): else they load when a schema
   * is not in the cache, and a boot that restores every schema never loads them (Ajv alone takes
   * ~17 ms to load, the serializer's compiler ~6, on Node 20 and 24 alike).
   */
  loadCompilers (): void
  /** Whether this process compiled a schema itself: what it used is new. */
  hasCompiled (): boolean
  /** The compilers' packages and versions: code one of them wrote is for them only (schema-store.ts). */
  readonly compilers: string
}

type Compile = (route: { schema: unknown, httpPart?: string, httpStatus?: string, contentType?: string }) => unknown
type Factory = (externalSchemas: unknown, options?: Record<string, unknown>) => Compile

/** Wraps the schema compilers of the Fastify whose main module is at `fastifyPath`, for the apps made after. */
export function cacheSchemas (fastifyPath: string): SchemaCache {
  const fromFastify = createRequire(fastifyPath)
  const ajvPath = fromFastify.resolve('@fastify/ajv-compiler')
  const fjsPath = fromFastify.resolve('@fastify/fast-json-stringify-compiler')
  const cache: Cache = { fromAjv: createRequire(ajvPath), fromFjs: createRequire(fjsPath), known: new Map(), evaluated: new Map(), used: {}, hasCompiled: false }
  // Each loaded when first asked for: a boot that restores every schema never loads them.
  let ajvCompiler: AjvCompiler | undefined
  let serializerSelector: (() => Factory) | undefined
  const realAjvCompiler = (): AjvCompiler => (ajvCompiler ??= fromFastify(ajvPath) as AjvCompiler)
  const realSerializerSelector = (): () => Factory => (serializerSelector ??= fromFastify(fjsPath) as () => Factory)
  wrapForFastify(fastifyPath, {
    '@fastify/ajv-compiler': cachingAjvCompiler(cache, ajvPath, realAjvCompiler),
    '@fastify/fast-json-stringify-compiler': cachingSerializerSelector(cache, fjsPath, realSerializerSelector)
  })

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
    loadCompilers () {
      realAjvCompiler()
      realSerializerSelector()
    },
    used: () => cache.used,
    hasCompiled: () => cache.hasCompiled,
    compilers: [versionOf(fromFastify, '@fastify/ajv-compiler'), versionOf(cache.fromAjv, 'ajv'),
      versionOf(fromFastify, '@fastify/fast-json-stringify-compiler'), versionOf(cache.fromFjs, 'fast-json-stringify')].join(' ')
  }
}

/** `name@version` of the package `require` finds by that name (its path where its version cannot be read). */
function versionOf (require: NodeJS.Require, name: string): string {
  const main = require.resolve(name)
  const segment = join('node_modules', name)
  const at = main.lastIndexOf(segment)
  if (at === -1) return main
  try {
    return `${name}@${(JSON.parse(readFileSync(join(main.slice(0, at + segment.length), 'package.json'), 'utf8')) as { version: string }).version}`
  } catch {
    return main
  }
}

/** What the wrapped compilers of one cacheSchemas share. */
interface Cache {
  readonly fromAjv: NodeJS.Require
  readonly fromFjs: NodeJS.Require
  readonly known: Map<string, string>
  readonly evaluated: Map<string, unknown>
  readonly used: SchemaEntries
  hasCompiled: boolean
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
  cache.hasCompiled = true
  cache.known.set(key, code)
  cache.used[key] = code
}

type AjvCompiler = ((opts?: { jtdSerializer?: boolean }) => Factory) & { AjvReference: symbol }

/**
 * Code Ajv wrote that does not stand alone: a `format` (@fastify/ajv-compiler's Ajv has
 * ajv-formats, whose code option reaches Ajv as a plain object: the code reads the format from
 * `{"_items":[…]}.date`, undefined, and a custom format's function is not in ajv-formats at all).
 * Such a validator is compiled each time, as without the cache (schema-store.ts reads no file kept
 * before this rule).
 */
const NOT_STANDALONE = /ajv-formats|"_items":/

/** @fastify/ajv-compiler's function (the module at `ajvPath`, loaded by `real`) with its compiler caching. */
function cachingAjvCompiler (cache: Cache, ajvPath: string, real: () => AjvCompiler): (opts?: { jtdSerializer?: boolean }) => Factory {
  return function CachingAjvCompiler (opts) {
    if (opts?.jtdSerializer === true) return real()(opts)
    let factory: Factory | undefined
    const compiler = (): Factory => (factory ??= real()(opts))
    return (externalSchemas, options = {}) => {
      const base = digest(['v', ajvPath, externalSchemas, options])
      if (base === null) return compiler()(externalSchemas, options)
      const customOptions = options.customOptions as { code?: object } | undefined
      // Ajv keeps each function's source only when asked to: the code Fastify's standalone mode writes.
      const writing = { ...options, customOptions: { ...customOptions, code: { ...customOptions?.code, source: true } } }
      let compile: Compile | undefined
      return route => {
        const key = keyOf('v', [base, route.httpPart, route.contentType, route.schema])
        const restored = key === null ? undefined : restore(cache, key)
        if (restored !== undefined) return restored
        compile ??= compiler()(externalSchemas, writing)
        const validate = compile(route)
        try {
          const standaloneCode = (cache.fromAjv('ajv/dist/standalone') as { default: (ajv: unknown, fn: unknown) => string }).default
          const code = standaloneCode((compile as unknown as Record<symbol, { ajv: unknown }>)[real().AjvReference]!.ajv, validate)
          if (key !== null && !NOT_STANDALONE.test(code)) store(cache, key, code)
        } catch {} // a keyword Ajv cannot write out: compiled each time, as without the cache
        return validate
      }
    }
  }
}

/** @fastify/fast-json-stringify-compiler's function (the module at `fjsPath`, loaded by `real`) with its compiler caching. */
function cachingSerializerSelector (cache: Cache, fjsPath: string, real: () => () => Factory): () => Factory {
  return function CachingSerializerSelector () {
    let factory: Factory | undefined
    const compiler = (): Factory => (factory ??= real()())
    return (externalSchemas, options = {}) => {
      const base = digest(['s', fjsPath, externalSchemas, options])
      // Its standalone code holds the options as JSON: a format's RegExp or function in them (`ajv.formats`) would be lost.
      if (base === null || !holdsOnlyJson(options)) return compiler()(externalSchemas, options)
      // fast-json-stringify's standalone mode gives the serializer's module code instead of the function.
      let compile: Compile | undefined
      return route => {
        const key = keyOf('s', [base, route.httpStatus, route.contentType, route.schema])
        if (key === null) return compiler()(externalSchemas, options)(route)
        if (!cache.known.has(key)) {
          compile ??= compiler()(externalSchemas, { ...options, mode: 'standalone' })
          store(cache, key, compile(route) as string)
        }
        return restore(cache, key) ?? compiler()(externalSchemas, options)(route)
      }
    }
  }
}

/**
 * `wrappers` in place of the packages they name, for Fastify's schema controller only (its module,
 * beside `fastifyPath`): its requires go through its module's `require` method, which is set on
 * that module alone. Another cache made after this one in the same process replaces these.
 */
function wrapForFastify (fastifyPath: string, wrappers: Record<string, unknown>): void {
  const fromFastify = createRequire(fastifyPath)
  fromFastify(fastifyPath) // loaded, if it is not yet: its controller with it
  const controller = fromFastify.cache[join(dirname(fastifyPath), 'lib', 'schema-controller.js')]!
  const { require } = Object.getPrototypeOf(controller) as { require: (id: string) => unknown }
  controller.require = function (this: NodeJS.Module, id: string) {
    return Object.hasOwn(wrappers, id) ? wrappers[id] : require.call(this, id)
  } as NodeJS.Require
}

/** Whether `value` is what JSON holds as it is: no function, RegExp, Map, class instance… at any depth. */
function holdsOnlyJson (value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) return true
  if (Array.isArray(value)) return value.every(holdsOnlyJson)
  return typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(holdsOnlyJson)
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
    json = JSON.stringify(value, (_key, item: unknown) => {
      // What JSON would write as {} (a format's RegExp, a Map, a Set): by what they hold.
      if (typeof item === 'function' || item instanceof RegExp) return `${typeof item} ${String(item)}`
      if (item instanceof Map || item instanceof Set) return [item.constructor.name, ...item]
      return item
    }) ?? ''
  } catch {
    return null
  }
  return createHash('sha256').update(json).digest('base64url')
}
