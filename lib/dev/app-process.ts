// What the app's processes are started with, found from the app's entry alone: the Node flags it
// needs and the logger the flags set; and a package as the app finds it (child.ts: its Fastify).
// Kept apart from settings.ts, which checks every option and says what is wrong, so that the
// command's entry can fork the first child before it loads the rest (cli/early-child.ts): nothing
// here loads a package.
import { createRequire } from 'node:module'
import { extname } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AppLogger } from './messages.js'

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts'])

/**
 * Node flags for the entry: none where it is JavaScript or where Node strips types itself, else
 * tsx's loader (an optional peer dependency), found from the app's directory; null when tsx is
 * not there.
 */
export function nodeFlagsFor (entry: string): string[] | null {
  if (!TYPESCRIPT.has(extname(entry))) return []
  const strips = (process.features as { typescript?: string | false }).typescript
  if (strips !== undefined && strips !== false) return []
  const loader = resolveFrom(entry, 'tsx')
  return loader === null ? null : ['--import', pathToFileURL(loader).href] // found from the app, whatever the working directory
}

/**
 * The app's logger as `level` (`-l`) and `isPretty` (`-P`) set it, with pino-pretty's path as
 * found from the app (fastify-cli's generated apps have it): null when neither is set, and
 * undefined when pino-pretty is wanted and not there.
 */
export function appLoggerFor (entry: string, level: string | undefined, isPretty: boolean): AppLogger | null | undefined {
  if (level === undefined && !isPretty) return null
  const pretty = isPretty ? resolveFrom(entry, 'pino-pretty') : null
  if (isPretty && pretty === null) return undefined
  return { ...(level === undefined ? {} : { level }), ...(pretty === null ? {} : { pretty }) }
}

/** `name` as the module at `from` would require it; null where it would not be found. */
export function resolveFrom (from: string, name: string): string | null {
  try {
    return createRequire(from).resolve(name)
  } catch {
    return null
  }
}
