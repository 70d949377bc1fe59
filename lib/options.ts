// The plugin's options: each declared once, by the part that reads it (option.ts says what a
// declaration holds), and put together here with the plugin's own (what is served, and whether
// the plugin is on at all). ResolvedOptions, the names an option may have and the defaults
// types/ documents all come from OPTIONS.
import { resolve } from 'node:path'
import type { LiveReloadOptions } from '../types/index.js'
import { CHANNEL_OPTIONS } from './channel/options.js'
import { CLUSTER_OPTIONS } from './cluster/options.js'
import { EDITOR_OPTIONS } from './editor/options.js'
import { INJECT_OPTIONS } from './inject/options.js'
import { METRICS_OPTIONS } from './metrics.js'
import { flag, option, type Earlier, type Option } from './option.js'
import { PIPELINE_OPTIONS } from './pipeline/options.js'
import { invalid, urlPathOption } from './validate.js'
import { WATCH_OPTIONS } from './watch/options.js'

const DEFAULT_PREFIX = '/'

const PLUGIN_OPTIONS = {
  // Its default read at each register: NODE_ENV may change.
  enabled: option<boolean>("process.env.NODE_ENV !== 'production'", value => flag('enabled', process.env.NODE_ENV !== 'production').resolve(value, {})),
  /** Absolute output directory, or null when the app serves its own pages. */
  root: option<string | null>('false', value => {
    if (value === undefined || value === false) return null
    if (typeof value !== 'string' || value === '') invalid('root', 'must be a directory path, or false')
    return resolve(value)
  }),
  prefix: option<string>(`'${DEFAULT_PREFIX}'`, value => urlPathOption('prefix', value ?? DEFAULT_PREFIX)),
  static: option<Readonly<Record<string, unknown>>>('{}', value => {
    if (value === undefined) return Object.freeze({})
    if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('static', 'must be an object of @fastify/static options')
    for (const key of ['root', 'prefix']) {
      if (key in value) invalid('static', `must not set "${key}": use the plugin's own "${key}" option`)
    }
    return Object.freeze({ ...value })
  })
}

/**
 * Every option, in the order they are resolved: those another reads (Earlier: `root`, `watch`,
 * `builder`) before it. One per option of types/' LiveReloadOptions, and no other (the type tests
 * hold the two together; test/parity.test.ts their defaults).
 */
export const OPTIONS = {
  ...PLUGIN_OPTIONS,
  ...WATCH_OPTIONS,
  ...PIPELINE_OPTIONS,
  ...CHANNEL_OPTIONS,
  ...INJECT_OPTIONS,
  ...EDITOR_OPTIONS,
  ...METRICS_OPTIONS,
  ...CLUSTER_OPTIONS
} satisfies Record<keyof LiveReloadOptions, Option<unknown>>

/** What each part reads: every option checked, resolved and defaulted. */
export type ResolvedOptions = { readonly [K in keyof typeof OPTIONS]: ReturnType<typeof OPTIONS[K]['resolve']> }

/** Typed so that an option declared here that types/ does not have is a compile error (`satisfies` above catches one missing). */
const KNOWN: ReadonlyArray<keyof LiveReloadOptions> = Object.keys(OPTIONS) as Array<keyof typeof OPTIONS>

export function resolveOptions (opts: LiveReloadOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') invalid('options', 'must be an object')
  for (const key of Object.keys(opts)) {
    if (!(KNOWN as readonly string[]).includes(key)) invalid(key, `is not an option; known options: ${KNOWN.join(', ')}`)
  }
  const resolved: Record<string, unknown> = {}
  for (const [key, { resolve }] of Object.entries(OPTIONS) as Array<[keyof LiveReloadOptions, Option<unknown>]>) {
    resolved[key] = resolve(opts[key], resolved as Earlier)
  }
  return Object.freeze(resolved) as ResolvedOptions
}
