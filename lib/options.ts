import { resolve } from 'node:path'
import type { Builder, BuildContext, BuildReport, FileChange, InjectPredicate, LiveReloadOptions, MetricsRegistry, NonceProvider, SyncSettings } from '../types/index.js'
import { integerOption, invalid, originOf, validGlob } from './validate.js'
import { resolveCluster, type ResolvedCluster } from './cluster-options.js'

export const DEFAULT_PATH = '/__livereload'
export const DEFAULT_PREFIX = '/'
export const DEFAULT_DEBOUNCE_MS = 75
export const DEFAULT_MAX_CLIENTS = 1000
/** Where the extra LiveReload listener binds unless `livereload.host` says otherwise: loopback only. */
export const DEFAULT_LIVERELOAD_HOST = '127.0.0.1'
/** `poll: true` polls this often (ms); a large tree stretches it (see poll.ts). */
export const DEFAULT_POLL_INTERVAL_MS = 500
const MIN_POLL_INTERVAL_MS = 100

/**
 * Ignored in every watched directory. Editors' swap, backup and probe files: vim (`.swp`,
 * `~`, `4913`), emacs (`.#x`, `#x#`), JetBrains safe-write temporaries. And what generators keep
 * for themselves beside what they build, never a page: Sphinx's `.doctrees/` and `.buildinfo`
 * (in the output when `-d` is not given), Jekyll's `.jekyll-cache/` and `.jekyll-metadata`.
 */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  '**/.git', '**/.git/**', '**/node_modules', '**/node_modules/**', '**/.DS_Store',
  '**/*.swp', '**/*.swo', '**/*.swx', '**/*~', '**/.#*', '**/#*#', '**/4913',
  '**/*___jb_tmp___', '**/*___jb_old___',
  '**/.doctrees', '**/.doctrees/**', '**/.buildinfo', '**/.jekyll-cache', '**/.jekyll-cache/**', '**/.jekyll-metadata'
])

export interface IgnoreRules {
  /** picomatch globs or plain paths, relative to the watched directory: applied natively. */
  readonly globs: readonly string[]
  /** Tested in JS against the path relative to the watched directory, with `/` separators. */
  readonly regexps: readonly RegExp[]
}

export interface ResolvedOptions {
  readonly enabled: boolean
  /** Absolute output directory, or null when the app serves its own pages. */
  readonly root: string | null
  readonly prefix: string
  readonly static: Readonly<Record<string, unknown>>
  readonly ignore: IgnoreRules
  readonly debounce: number
  /** Poll interval (ms); false: native events only; 'auto': poll where native events do not arrive. */
  readonly poll: number | false | 'auto'
  readonly path: string
  /** null: never inject. */
  readonly inject: InjectPredicate | null
  readonly nonce: NonceProvider | null
  readonly css: boolean
  /** Patch a page whose HTML alone changed, instead of reloading it (the client decides). */
  readonly patch: boolean
  readonly allowedOrigins: ReadonlySet<string> | true
  readonly allowedHosts: readonly string[] | true
  readonly maxClients: number
  /** Absolute source paths (files or directories). */
  readonly watch: readonly string[]
  readonly builder: Builder | null
  readonly buildOnStart: boolean
  /** Whether changes arriving during a build abort it. */
  readonly supersede: (changes: FileChange[]) => boolean
  readonly onBuildStart: ((ctx: BuildContext) => unknown) | null
  readonly onBuildEnd: ((report: BuildReport) => unknown) | null
  /** LiveReload protocol 7, or null when off; `port` null: on the app's own port only. */
  readonly livereload: { readonly port: number | null, readonly host: string } | null
  /** Synchronized browsing, or null when off. */
  readonly sync: Readonly<SyncSettings> | null
  /** Where the metrics go (true: prom-client's default registry), or null when off. */
  readonly metrics: MetricsRegistry | true | null
  /** Coordination through Redis, or null: this process watches and builds on its own. */
  readonly cluster: ResolvedCluster | null
  /** Places in errors are links that open the editor (`{path}/open-in-editor`). */
  readonly openInEditor: boolean
}

const KNOWN = new Set<string>(['root', 'prefix', 'static', 'watch', 'builder', 'buildOnStart', 'supersede',
  'onBuildStart', 'onBuildEnd', 'ignore', 'debounce', 'poll', 'path', 'inject', 'nonce', 'css', 'patch', 'allowedOrigins',
  'allowedHosts', 'maxClients', 'enabled', 'livereload', 'sync', 'metrics', 'cluster', 'openInEditor'])

const injectAlways: InjectPredicate = () => true

export function resolveOptions (opts: LiveReloadOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== 'object') invalid('options', 'must be an object')
  for (const key of Object.keys(opts)) {
    if (!KNOWN.has(key)) invalid(key, `is not an option; known options: ${[...KNOWN].join(', ')}`)
  }
  const builder = resolveBuilder(opts.builder)
  const root = resolveRoot(opts.root)
  const watch = resolveWatch(opts.watch)
  return Object.freeze({
    enabled: resolveBoolean(opts, 'enabled', process.env.NODE_ENV !== 'production'),
    watch,
    builder,
    buildOnStart: resolveBoolean(opts, 'buildOnStart', builder !== null),
    supersede: resolveSupersede(opts.supersede),
    onBuildStart: resolveHook<(ctx: BuildContext) => unknown>('onBuildStart', opts.onBuildStart),
    onBuildEnd: resolveHook<(report: BuildReport) => unknown>('onBuildEnd', opts.onBuildEnd),
    root,
    prefix: resolveUrlPath('prefix', opts.prefix ?? DEFAULT_PREFIX),
    static: resolveStatic(opts.static),
    ignore: resolveIgnore(opts.ignore),
    debounce: integerOption('debounce', opts.debounce ?? DEFAULT_DEBOUNCE_MS, { min: 0, unit: 'ms' }),
    poll: resolvePoll(opts.poll),
    path: resolveChannelPath(opts.path ?? DEFAULT_PATH),
    inject: resolveInject(opts.inject),
    nonce: resolveNonce(opts.nonce),
    css: resolveBoolean(opts, 'css', true),
    openInEditor: resolveBoolean(opts, 'openInEditor', true),
    patch: resolveBoolean(opts, 'patch', true),
    allowedOrigins: resolveAllowedOrigins(opts.allowedOrigins),
    allowedHosts: resolveAllowedHosts(opts.allowedHosts),
    maxClients: integerOption('maxClients', opts.maxClients ?? DEFAULT_MAX_CLIENTS),
    livereload: resolveLiveReload(opts.livereload),
    sync: resolveSync(opts.sync),
    metrics: resolveMetrics(opts.metrics),
    cluster: resolveCluster(opts.cluster, root, watch)
  })
}

function resolveSupersede (value: unknown): (changes: FileChange[]) => boolean {
  if (value === undefined || value === false) return () => false
  if (value === true) return () => true
  if (typeof value !== 'function') invalid('supersede', 'must be a boolean or a function (changes) => boolean')
  return changes => (value as (changes: FileChange[]) => unknown)(changes) === true
}

function resolveBoolean (opts: LiveReloadOptions, key: 'enabled' | 'css' | 'patch' | 'buildOnStart' | 'openInEditor', fallback: boolean): boolean {
  const value = opts[key] ?? fallback
  if (typeof value !== 'boolean') invalid(key, 'must be a boolean')
  return value
}

function resolvePoll (value: unknown): number | false | 'auto' {
  if (value === undefined) return 'auto'
  if (value === true) return DEFAULT_POLL_INTERVAL_MS
  if (value === false) return false
  if (typeof value !== 'number') invalid('poll', 'must be a boolean or an interval in milliseconds')
  return integerOption('poll', value, { min: MIN_POLL_INTERVAL_MS, unit: 'ms' })
}

function resolveRoot (root: unknown): string | null {
  if (root === undefined || root === false) return null
  if (typeof root !== 'string' || root === '') invalid('root', 'must be a directory path, or false')
  return resolve(root)
}

function resolveWatch (value: unknown): readonly string[] {
  if (value === undefined) return Object.freeze([])
  const entries = typeof value === 'string' ? [value] : value
  if (!Array.isArray(entries) || !entries.every(entry => typeof entry === 'string' && entry !== '')) {
    invalid('watch', 'must be a path or an array of paths (files or directories)')
  }
  return Object.freeze([...new Set(entries.map(entry => resolve(entry)))])
}

/** A bare build function becomes a Builder; anything else must already be one. */
function resolveBuilder (value: unknown): Builder | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'function') return Object.freeze({ name: value.name || 'build', build: value as Builder['build'] })
  const builder = value as Partial<Builder>
  if (typeof value !== 'object' || typeof builder.build !== 'function') {
    invalid('builder', 'must be a function (ctx) => outcome, or an object with a build(ctx) method')
  }
  if (builder.close !== undefined && typeof builder.close !== 'function') invalid('builder', 'has a close that is not a function')
  if (builder.watch !== undefined && typeof builder.watch !== 'function') invalid('builder', 'has a watch that is not a function')
  return value as Builder
}

function resolveHook<F> (key: string, value: unknown): F | null {
  if (value === undefined) return null
  if (typeof value !== 'function') invalid(key, 'must be a function')
  return value as F
}

function resolveUrlPath (key: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) invalid(key, 'must be a string starting with "/"')
  if (/[\s?#%\\]/.test(value)) invalid(key, 'must be a plain URL path, without spaces, "?", "#", "%" or "\\"')
  // find-my-way syntax: "/:x" is a parameter that matches any segment, so "/:x" answered every
  // one-segment request (every static file 404ed) and "/static/*" any path below it.
  if (/[:*()]/.test(value)) invalid(key, `must be a plain URL path: ${JSON.stringify(value)} holds ":", "*", "(" or ")", which Fastify reads as route parameters and wildcards`)
  return value
}

/** The channel's routes hang below it and its client's URL goes into every page: plain segments only. */
function resolveChannelPath (value: unknown): string {
  const path = resolveUrlPath('path', value)
  if (path === '/' || path.endsWith('/')) invalid('path', 'must name a path below "/" and not end with "/", such as "/__livereload"')
  if (!/^(\/[\w.~-]+)+$/.test(path) || /\/\.\.?(\/|$)/.test(path)) {
    invalid('path', 'must be "/" and segments of ASCII letters, digits, "-", ".", "_" and "~" (no empty, "." or ".." segment), such as "/__livereload"')
  }
  return path
}

function resolveStatic (value: unknown): Readonly<Record<string, unknown>> {
  if (value === undefined) return Object.freeze({})
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('static', 'must be an object of @fastify/static options')
  for (const key of ['root', 'prefix']) {
    if (key in value) invalid('static', `must not set "${key}": use the plugin's own "${key}" option`)
  }
  return Object.freeze({ ...value })
}

function resolveIgnore (value: unknown): IgnoreRules {
  if (value === undefined) value = []
  if (!Array.isArray(value)) invalid('ignore', 'must be an array of globs and RegExps')
  const globs = [...DEFAULT_IGNORE]
  const regexps: RegExp[] = []
  for (const pattern of value as unknown[]) {
    if (pattern instanceof RegExp) {
      regexps.push(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')))
    } else if (typeof pattern === 'string' && pattern.trim() !== '') {
      globs.push(validGlob('ignore', pattern))
    } else {
      invalid('ignore', `holds ${describe(pattern)}: each entry must be a non-empty glob string or a RegExp`)
    }
  }
  return Object.freeze({ globs: Object.freeze(globs), regexps: Object.freeze(regexps) })
}

function resolveInject (value: unknown): InjectPredicate | null {
  if (value === undefined || value === true) return injectAlways
  if (value === false) return null
  if (typeof value === 'function') return value as InjectPredicate
  return invalid('inject', 'must be a boolean or a function (request, reply) => boolean')
}

function resolveNonce (value: unknown): NonceProvider | null {
  if (value === undefined) return null
  if (typeof value !== 'function') invalid('nonce', 'must be a function (request, reply) => string | undefined')
  return value as NonceProvider
}

function resolveAllowedOrigins (value: unknown): ReadonlySet<string> | true {
  if (value === undefined) return new Set()
  if (value === true) return true
  if (!Array.isArray(value)) invalid('allowedOrigins', 'must be an array of origins, or true')
  const origins = new Set<string>()
  for (const entry of value as unknown[]) {
    const origin = typeof entry === 'string' ? originOf(entry) : null
    if (origin === null) invalid('allowedOrigins', `holds ${describe(entry)}: each entry must be an origin such as "https://dev.example:8443"`)
    origins.add(origin)
  }
  return origins
}

function resolveAllowedHosts (value: unknown): readonly string[] | true {
  if (value === undefined) return Object.freeze([])
  if (value === true) return true
  if (!Array.isArray(value)) invalid('allowedHosts', 'must be an array of host names, or true')
  const hosts = (value as unknown[]).map(entry => {
    if (typeof entry !== 'string' || !/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(entry)) {
      invalid('allowedHosts', `holds ${describe(entry)}: each entry must be a host name without port, such as "dev.example.test" or ".example.test"`)
    }
    return entry.toLowerCase()
  })
  return Object.freeze(hosts)
}

function describe (value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  return `a ${typeof value}`
}

function resolveLiveReload (value: unknown): ResolvedOptions['livereload'] {
  if (value === undefined || value === false) return null
  if (value === true) return Object.freeze({ port: null, host: DEFAULT_LIVERELOAD_HOST })
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('livereload', 'must be a boolean or an object { port?, host? }')
  const { port, host, ...rest } = value as { port?: unknown, host?: unknown }
  for (const key of Object.keys(rest)) invalid(`livereload.${key}`, 'is not an option; known: port, host')
  if (port !== undefined && (!Number.isSafeInteger(port) || (port as number) < 0 || (port as number) > 65535)) {
    invalid('livereload.port', 'must be an integer from 0 to 65535 (35729 is what the LiveReload extensions use)')
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) invalid('livereload.host', 'must be a host name or IP address, such as "127.0.0.1"')
  if (host !== undefined && port === undefined) invalid('livereload.host', 'only applies with livereload.port')
  return Object.freeze({ port: (port as number | undefined) ?? null, host: (host as string | undefined) ?? DEFAULT_LIVERELOAD_HOST })
}

const SYNC_KINDS = ['scroll', 'clicks', 'forms', 'navigation'] as const
/** Each selector is looked up on every mirrored scroll: a handful, not a stylesheet. */
const MAX_SCROLL_ELEMENTS = 32

function resolveSync (value: unknown): Readonly<SyncSettings> | null {
  if (value === undefined || value === false) return null
  const settings: SyncSettings = { scroll: true, clicks: true, forms: true, navigation: true, scrollElements: [] }
  if (value === true) return Object.freeze(settings)
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('sync', 'must be a boolean or an object { scroll?, scrollElements?, clicks?, forms?, navigation? }')
  const { scrollElements, ...kinds } = value as Record<string, unknown>
  for (const [key, on] of Object.entries(kinds)) {
    if (!(SYNC_KINDS as readonly string[]).includes(key)) invalid(`sync.${key}`, `is not an option; known: ${SYNC_KINDS.join(', ')}, scrollElements`)
    if (typeof on !== 'boolean') invalid(`sync.${key}`, 'must be a boolean')
    settings[key as typeof SYNC_KINDS[number]] = on
  }
  if (scrollElements !== undefined) {
    if (!Array.isArray(scrollElements) || scrollElements.length > MAX_SCROLL_ELEMENTS || !scrollElements.every(entry => typeof entry === 'string' && entry.trim() !== '' && entry.length <= 256)) {
      invalid('sync.scrollElements', `must be an array of at most ${MAX_SCROLL_ELEMENTS} CSS selectors, such as ["#sidebar", ".code-panel"]`)
    }
    settings.scrollElements = [...scrollElements as string[]]
  }
  return Object.freeze(settings)
}

/** A registry is known by the methods the plugin and prom-client's metrics call: any copy of prom-client will do. */
function resolveMetrics (value: unknown): MetricsRegistry | true | null {
  if (value === undefined || value === false) return null
  if (value === true) return true
  const registry = value as Partial<Record<keyof MetricsRegistry, unknown>> | null
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function' ||
      typeof registry.getSingleMetric !== 'function' || typeof registry.metrics !== 'function') {
    invalid('metrics', 'must be a boolean or a prom-client Registry (new Registry(), or register, the default one)')
  }
  return value as MetricsRegistry
}
