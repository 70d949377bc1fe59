// `dev`'s first child, forked by the command's entry (main.ts) as soon as the command line is
// read: the app's Node boots and imports its Fastify on the other core while this process loads
// the dev server, which takes the child over (dev/generations.ts), and boots the app as soon as it
// can. Only where the child is sure to be the one the dev server would fork: anything it would
// refuse (no such entry, a missing tsx or pino-pretty) it finds and says itself. Not with --https,
// whose certificate the command reads or makes first: one it refuses must run none of the app.
import { statSync } from 'node:fs'
import { appLoggerFor, nodeFlagsFor } from '../dev/app-process.js'
import { moduleFile } from '../module-path.js'
import { forkEarly, type ChildOptions, type EarlyChild } from '../dev/spawn-child.js'
import type { CliOptions } from './args.js'

export function forkFirstChild (options: CliOptions): EarlyChild | null {
  const child = firstChildOptions(options)
  return child === null ? null : forkEarly(child)
}

/** The child the dev server would fork first for `options`, as far as it can be told without it; null where it cannot. */
export function firstChildOptions (options: CliOptions): ChildOptions | null {
  if (options.https !== null || options.dir.startsWith('file:')) return null
  const entry = moduleFile(options.dir) // as the dev server makes it of the command line
  if (!isFile(entry)) return null
  const execArgv = nodeFlagsFor(entry)
  const logger = appLoggerFor(entry, options.logLevel, options.prettyLogs)
  if (execArgv === null || logger === undefined) return null
  return { entry, execArgv, logger, schemas: {} }
}

/** Whether `path` is a file: anything else (none, a directory, one that cannot be read) the dev server says. */
function isFile (path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
