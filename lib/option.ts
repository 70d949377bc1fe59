// One option of the plugin, declared by the part that reads it (watch/options.ts, pipeline/,
// channel/, inject/, editor/, cluster/, metrics.ts; options.ts has the plugin's own and puts them
// together), or of a builder (builders/: each builder's own, resolved by resolveDeclared). The
// declaration is all there is of the option in lib/: its check, its default, the type the part
// reads (options.ts's ResolvedOptions, and each builder's, are made of these), and what types/'
// `@default` says (test/parity.test.ts compares).
import type { Builder } from '../types/index.js'
import { invalid, optionsObject } from './validate.js'

/** What a declaration may read of the options resolved before it (declared earlier in options.ts's OPTIONS). */
export interface Earlier {
  readonly root?: string | null
  readonly watch?: readonly string[]
  readonly builder?: Builder | null
}

/** `E`: what the declaration reads of the options declared before it (the plugin's: Earlier). */
export interface Option<T, E = Earlier> {
  /**
   * The value a part reads, from the one the user gave (undefined when absent): a coded error
   * (FST_LIVERELOAD_INVALID_OPTION, validate.ts) when it is wrong.
   */
  readonly resolve: (value: unknown, earlier: E) => T
  /** The default as types/index.d.ts's `@default` says it; undefined where it says none. */
  readonly documented: string | undefined
}

export function option<T, E = Earlier> (documented: string | undefined, resolve: (value: unknown, earlier: E) => T): Option<T, E> {
  return { resolve, documented }
}

/** Every option of `D` as its declaration resolves it. */
export type Resolved<D extends Record<string, Option<unknown, never>>> = { readonly [K in keyof D]: ReturnType<D[K]['resolve']> }

/**
 * `given` (a builder's options object) resolved by `declarations`, in their order, each reading
 * those resolved before it. Anything but an object, or a key not declared, is a coded error
 * naming `owner` (and the options it has).
 */
export function resolveDeclared<D extends Record<string, Option<unknown, never>>> (owner: string, declarations: D, given: unknown): Resolved<D> {
  const opts = optionsObject<Record<string, unknown>>(owner, given, Object.keys(declarations))
  const resolved: Record<string, unknown> = {}
  for (const [key, { resolve }] of Object.entries(declarations) as Array<[string, Option<unknown, Record<string, unknown>>]>) resolved[key] = resolve(opts[key], resolved)
  return Object.freeze(resolved) as Resolved<D>
}

/** A boolean option. */
export function flag (key: string, fallback: boolean, documented = String(fallback)): Option<boolean> {
  return option(documented, given => {
    const value = given ?? fallback
    if (typeof value !== 'boolean') invalid(key, 'must be a boolean')
    return value
  })
}

/** An option that is a function, or null when absent. */
export function hook<F> (key: string, expects = 'must be a function'): Option<F | null> {
  return option(undefined, value => {
    if (value === undefined) return null
    if (typeof value !== 'function') invalid(key, expects)
    return value as F
  })
}

/** How a wrong entry of a list is named in its error. */
export function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  return `a ${typeof value}`
}
