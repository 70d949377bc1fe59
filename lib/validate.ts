// What counts as a valid value, for the options of the plugin, its builders and its test
// harness: each check throws FST_LIVERELOAD_INVALID_OPTION naming the option and what to change.
import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import picomatch from 'picomatch'
import { FST_LIVERELOAD_INVALID_OPTION } from './errors.js'

export function invalid (option: string, problem: string): never {
  throw new FST_LIVERELOAD_INVALID_OPTION(option, problem)
}

/** `value`, a safe integer of at least `min` (1: a positive integer); `unit` (`ms`, `MB`) goes in the message. */
export function integerOption (option: string, value: unknown, { min = 1, unit }: { min?: number, unit?: string } = {}): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    invalid(option, `must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}${unit === undefined ? '' : ` (${unit})`}`)
  }
  return value as number
}

/** The absolute path of a module given as a path (relative to `cwd`), a `file:` URL or a URL string. */
export function modulePath (option: string, value: unknown, cwd = process.cwd()): string {
  if (value instanceof URL) return fileURLToPath(value)
  if (typeof value !== 'string' || value === '') invalid(option, 'must be a module path or file URL')
  if (value.startsWith('file:')) return fileURLToPath(value)
  return isAbsolute(value) ? value : resolve(cwd, value)
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
