// What counts as a valid value, for the options of the plugin, its builders and its test
// harness: each check throws FST_LIVERELOAD_INVALID_OPTION naming the option and what to change.
import { fileURLToPath } from 'node:url'
import picomatch from 'picomatch'
import type { RedisConnectionOptions } from '../types/index.js'
import { FST_LIVERELOAD_INVALID_OPTION } from './errors.js'
import { moduleFile } from './module-path.js'

export function invalid (option: string, problem: string): never {
  throw new FST_LIVERELOAD_INVALID_OPTION(option, problem)
}

/** The longest delay Node's timers take (ms): above it, a timer fires after 1 ms, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * `value`, a safe integer from `min` (1: a positive integer) to `max`; `unit` (`ms`, `MB`) goes in
 * the message. A duration in `ms` is a timer's delay: `max` defaults to MAX_TIMER_MS.
 */
export function integerOption (option: string, value: unknown, { min = 1, max, unit }: { min?: number, max?: number, unit?: string } = {}): number {
  const ceiling = max ?? (unit === 'ms' ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER)
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > ceiling) {
    const range = min === 1 ? 'a positive integer' : `an integer of at least ${min}`
    const limit = ceiling === Number.MAX_SAFE_INTEGER ? '' : ceiling === MAX_TIMER_MS ? `, at most ${MAX_TIMER_MS} (about 24.8 days: Node.js timers take no longer)` : `, at most ${ceiling}`
    invalid(option, `must be ${range}${unit === undefined ? '' : ` (${unit})`}${limit}`)
  }
  return value as number
}

/** `value`, a plain object whose keys are all in `known`, else a coded error naming `{name}.{key}`. */
export function optionsObject<T extends object> (name: string, value: unknown, known: readonly string[]): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(`${name}.options`, 'must be an object')
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) invalid(`${name}.${key}`, `is not an option; known options: ${known.join(', ')}`)
  }
  return value as T
}

/** An environment to merge over process.env: an object of strings (undefined unsets a variable). */
export function envOption (option: string, value: unknown): Record<string, string | undefined> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value) ||
      !Object.values(value).every(entry => entry === undefined || typeof entry === 'string')) {
    invalid(option, 'must be an object of environment variables, { NAME: "value" } (string values; undefined unsets one)')
  }
  return value as Record<string, string | undefined>
}

/** Node.js flags: an array of strings, such as ["--enable-source-maps"]. */
export function flagsOption (option: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every(flag => typeof flag === 'string')) {
    invalid(option, 'must be an array of Node.js flags, such as ["--enable-source-maps"]')
  }
  return value as string[]
}

/** The absolute path of a module given as a path (relative to `cwd`), a `file:` URL or a URL string. */
export function modulePath (option: string, value: unknown, cwd = process.cwd()): string {
  if (value instanceof URL) return fileURLToPath(value)
  if (typeof value !== 'string' || value === '') invalid(option, 'must be a module path or file URL')
  return moduleFile(value, cwd)
}

/** `glob`, once picomatch can compile it (strict brackets: a stray `[` is a mistake, not a character). */
export function validGlob (option: string, glob: string): string {
  try {
    picomatch.makeRe(glob, { strictBrackets: true })
  } catch (err) {
    invalid(option, `holds the glob ${JSON.stringify(glob)}, which does not parse (${(err as Error).message}); escape special characters with "\\"`)
  }
  return glob
}

/** `value` as a URL, or null when it does not parse. */
export function parseUrl (value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}

/** The origin an `Origin` value or an `allowedOrigins` entry names; null when it names none (`null`, `file:`, garbage). */
export function originOf (value: string): string | null {
  const origin = parseUrl(value)?.origin
  return origin === undefined || origin === 'null' ? null : origin
}

/** Where a Redis is (the cluster's, the shard queue's): a `redis://` or `rediss://` URL, or ioredis options. */
export function redisOption (option: string, value: unknown): string | Readonly<RedisConnectionOptions> {
  if (typeof value === 'string') {
    const protocol = parseUrl(value)?.protocol
    if (protocol !== 'redis:' && protocol !== 'rediss:') invalid(option, `must be a redis:// or rediss:// URL, such as "redis://127.0.0.1:6379"; got ${JSON.stringify(value)}`)
    return value
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid(option, 'must be a redis:// URL or an object of ioredis options')
  const { port, host, path, db } = value as RedisConnectionOptions
  if (port !== undefined) integerOption(`${option}.port`, port, { min: 1, max: 65535 })
  if (host !== undefined && (typeof host !== 'string' || host === '')) invalid(`${option}.host`, 'must be an address or a host name')
  if (path !== undefined && (typeof path !== 'string' || path === '')) invalid(`${option}.path`, 'must be the path of a Unix socket')
  if (db !== undefined) integerOption(`${option}.db`, db, { min: 0 })
  return Object.freeze({ ...value as RedisConnectionOptions })
}

/** A plain URL path (`prefix`, `path`): no spaces, query, fragment, escapes or route syntax. */
export function urlPathOption (key: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) invalid(key, 'must be a string starting with "/"')
  if (/[\s?#%\\]/.test(value)) invalid(key, 'must be a plain URL path, without spaces, "?", "#", "%" or "\\"')
  // find-my-way syntax: "/:x" is a parameter that matches any segment, so "/:x" answered every
  // one-segment request (every static file 404ed) and "/static/*" any path below it.
  if (/[:*()]/.test(value)) invalid(key, `must be a plain URL path: ${JSON.stringify(value)} holds ":", "*", "(" or ")", which Fastify reads as route parameters and wildcards`)
  return value
}
