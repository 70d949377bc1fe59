// The channel's options: where its routes live, who may connect, how many, the LiveReload 7
// listener, synchronized browsing, and which client it serves.
import type { SyncSettings } from '../../types/index.js'
import { describe, flag, option } from '../option.js'
import { integerOption, invalid, originOf, urlPathOption } from '../validate.js'

export const DEFAULT_PATH = '/__livereload'
export const DEFAULT_MAX_CLIENTS = 1000
/** Where the extra LiveReload listener binds unless `livereload.host` says otherwise: loopback only. */
export const DEFAULT_LIVERELOAD_HOST = '127.0.0.1'

export const CHANNEL_OPTIONS = {
  path: option<string>(`'${DEFAULT_PATH}'`, value => channelPath(value ?? DEFAULT_PATH)),
  allowedOrigins: option<ReadonlySet<string> | true>('[]', allowedOrigins),
  allowedHosts: option<readonly string[] | true>('[]', allowedHosts),
  maxClients: option<number>(String(DEFAULT_MAX_CLIENTS), value => integerOption('maxClients', value ?? DEFAULT_MAX_CLIENTS)),
  /** LiveReload protocol 7, or null when off; `port` null: on the app's own port only. */
  livereload: option<{ readonly port: number | null, readonly host: string } | null>('false', liveReload),
  /** Synchronized browsing, or null when off. */
  sync: option<Readonly<SyncSettings> | null>('false', sync),
  /** Patch a page whose HTML alone changed, instead of reloading it (the client decides). */
  patch: flag('patch', true)
}

/** The channel's routes hang below it and its client's URL goes into every page: plain segments only. */
function channelPath (value: unknown): string {
  const path = urlPathOption('path', value)
  if (path === '/' || path.endsWith('/')) invalid('path', 'must name a path below "/" and not end with "/", such as "/__livereload"')
  if (!/^(\/[\w.~-]+)+$/.test(path) || /\/\.\.?(\/|$)/.test(path)) {
    invalid('path', 'must be "/" and segments of ASCII letters, digits, "-", ".", "_" and "~" (no empty, "." or ".." segment), such as "/__livereload"')
  }
  return path
}

function allowedOrigins (value: unknown): ReadonlySet<string> | true {
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

function allowedHosts (value: unknown): readonly string[] | true {
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

function liveReload (value: unknown): { readonly port: number | null, readonly host: string } | null {
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

function sync (value: unknown): Readonly<SyncSettings> | null {
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
