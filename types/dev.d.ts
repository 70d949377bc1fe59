// The public contract of fastify-livereload/dev, written by hand (see index.d.ts).
import type { FastifyInstance } from 'fastify'
import type { LiveReloadOptions } from './index.js'

/** Checked when the server starts: a wrong value throws `FST_LIVERELOAD_INVALID_OPTION` naming it. */
export interface DevOptions extends LiveReloadOptions {
  /**
   * The app: a module whose default export is a Fastify plugin, `async (fastify, opts) => {}`
   * (the shape fastify-cli generates); its `options` export, if any, goes to `Fastify()` as
   * fastify-cli gives it. Relative to the working directory. A `.ts` entry runs where Node strips
   * types, else through `tsx` (an optional peer dependency).
   */
  entry: string
  /** Port of the server browsers use; it stays up across reloads. 0 picks a free one. @default 3000 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** The supervisor's own logger (Fastify's `logger` option); the app logs as its `options` say. @default false */
  logger?: boolean | object
  /**
   * The app's log level, over what its `options` say (fastify-cli's `-l`): a logger the app turned
   * off is turned on. Not applied to an app that gives a `loggerInstance`. Whatever it is, each
   * reply of 500 or more that a thrown error caused is one line on stderr while the app's logger
   * does not log errors.
   */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /**
   * The app's logs through pino-pretty (fastify-cli's `-P`): an optional peer dependency, found
   * from the app; missing, the start throws `FST_LIVERELOAD_MISSING_DEPENDENCY` naming it. @default false
   */
  prettyLogs?: boolean
}

export interface DevServer {
  /** `http://host:port` */
  readonly url: string
  /** The supervisor's Fastify app: its `liveReload` decorator, its logs. */
  readonly app: FastifyInstance
  /** Closes every version of the app and the port; no child process is left. */
  close (): Promise<void>
}

/**
 * Serves the app at `entry` on one port that never goes down, reloading it when its code
 * changes: each version runs in a child process, browsers reload once per version that starts,
 * and a version that fails to start shows its error over the page while the previous one keeps
 * serving; one that stops while it serves shows why, and its code starts again (three times in a
 * row at most). Resolves once the first version serves, or its failure is shown.
 */
export declare function dev (options: DevOptions): Promise<DevServer>
