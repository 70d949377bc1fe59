// One option of the plugin, declared by the part that reads it (watch/options.ts, pipeline/,
// channel/, inject/, editor/, cluster/, metrics.ts; options.ts has the plugin's own and puts them
// together). The declaration is all there is of the option in lib/: its check, its default, the
// type the part reads (options.ts's ResolvedOptions is made of these), and what types/' `@default`
// says (test/parity.test.ts compares).
import type { Builder } from '../types/index.js'
import { invalid } from './validate.js'

/** What a declaration may read of the options resolved before it (declared earlier in options.ts's OPTIONS). */
export interface Earlier {
  readonly root?: string | null
  readonly watch?: readonly string[]
  readonly builder?: Builder | null
}

export interface Option<T> {
  /**
   * The value a part reads, from the one the user gave (undefined when absent): a coded error
   * (FST_LIVERELOAD_INVALID_OPTION, validate.ts) when it is wrong.
   */
  readonly resolve: (value: unknown, earlier: Earlier) => T
  /** The default as types/index.d.ts's `@default` says it; undefined where it says none. */
  readonly documented: string | undefined
}

export function option<T> (documented: string | undefined, resolve: (value: unknown, earlier: Earlier) => T): Option<T> {
  return { resolve, documented }
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
