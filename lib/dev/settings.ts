// `dev`'s options checked before the dev server forks a process (the command's entry may have forked
// the first already, cli/early-child.ts, only where these checks pass), and what they say about the
// app's processes: the logger its flags set, and the Node flags a TypeScript entry needs.
import { existsSync, statSync } from 'node:fs'
import type { DevOptions } from '../../types/dev.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { FST_LIVERELOAD_MISSING_DEPENDENCY } from '../errors.js'
import { integerOption, invalid, modulePath } from '../validate.js'
import { appLoggerFor, nodeFlagsFor } from './app-process.js'
import { LOG_LEVELS, type AppLogger } from './messages.js'

/** `dev`'s options, checked: the app's logger as the flags set it (null: as the app's own options say), and the plugin's own options apart. */
export interface DevSettings {
  readonly entry: string
  readonly port: number
  readonly host: string
  readonly logger: boolean | object
  readonly appLogger: AppLogger | null
  readonly userBuilder: LiveReloadOptions['builder']
  readonly watch: LiveReloadOptions['watch']
  readonly pluginOptions: Omit<LiveReloadOptions, 'builder' | 'watch'>
}

export function devSettings (options: DevOptions): DevSettings {
  const { entry: entryOption, port = 3000, host = '127.0.0.1', logger = false, logLevel, prettyLogs = false, builder: userBuilder, watch, ...pluginOptions } = options ?? {} as DevOptions
  const entry = modulePath('entry', entryOption)
  if (!existsSync(entry)) invalid('entry', `must be the app's module; "${entry}" does not exist`)
  if (!statSync(entry).isFile()) invalid('entry', `must be the app's module; "${entry}" is not a file`)
  integerOption('port', port, { min: 0, max: 65535 })
  if (typeof host !== 'string' || host === '') invalid('host', 'must be an address or a host name')
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) invalid('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`)
  if (typeof prettyLogs !== 'boolean') invalid('prettyLogs', 'must be a boolean')
  const appLogger = appLoggerFor(entry, logLevel, prettyLogs)
  if (appLogger === undefined) throw new FST_LIVERELOAD_MISSING_DEPENDENCY('pino-pretty', `for prettyLogs (-P, --pretty-logs), from the app "${entry}"`, 'pino-pretty')
  return { entry, port, host, logger, appLogger, userBuilder, watch, pluginOptions }
}

/** `entry`'s Node flags (app-process.ts), or the coded error naming tsx where it needs tsx and tsx is not there. */
export function loaderFor (entry: string): string[] {
  const flags = nodeFlagsFor(entry)
  if (flags === null) throw new FST_LIVERELOAD_MISSING_DEPENDENCY('tsx', `to run the TypeScript entry "${entry}" on Node ${process.versions.node}, which does not strip types`, 'tsx')
  return flags
}
