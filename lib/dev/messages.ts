// What a generation's child process and the supervisor say to each other over IPC (dev.ts).
import type { BuildErrorInfo } from '../../types/index.js'
import type { SchemaEntries } from './schema-cache.js'

/** pino's levels: what `logLevel` (`-l`) may be. */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * The app's logger as the command line (or `dev()`'s options) set it, over what the app's
 * `options` say: fastify-cli's `-l` (`level`) and `-P` (`pretty`: pino-pretty's module, as found
 * from the app).
 */
export interface AppLogger {
  readonly level?: string
  readonly pretty?: string
}

/** What a child is told as it is forked: its second argument, in JSON (the first is the entry). */
export interface ChildSettings {
  /** The app's logger as the flags set it; null: as the app's own options say. */
  readonly logger: AppLogger | null
  /** Boot once a standby, with no `boot` asked for: the first version's (generations.ts). */
  readonly bootsAtOnce: boolean
}

/** Files a boot wrote, by path: their content (sha1, base64) when it ended; null for one that was gone by then. */
export type Written = Readonly<Record<string, string | null>>

export type SupervisorMessage =
  /** Import the entry (the child's first argument), make the app, listen on 127.0.0.1:0. */
  | { readonly type: 'boot' }
  /** The schemas the last generation that listened compiled: to evaluate ahead of the boot. */
  | { readonly type: 'schemas', readonly entries: SchemaEntries }
  /** To the generation serving: save what the app keeps (lib/dev/keep.ts), for the one booting. */
  | { readonly type: 'save' }
  /** To the generation booting, which asked (`keeping`): what the one serving saved, by name; restore it, then listen. */
  | { readonly type: 'restore', readonly state: Kept }

/** What a generation saved of what its app keeps, by name (structured-clone data: IPC's advanced serialization). */
export type Kept = Readonly<Record<string, unknown>>

export type ChildMessage =
  /** Fastify and the modules asked for are imported: ready to boot at once. */
  | { readonly type: 'standby' }
  /**
   * The app listens. `files`: every file the process loaded (file paths), for what a change
   * restarts; `hashes`: the content of its ES modules (sha1, base64) as it loaded them;
   * `written`: the files of the app's directory it wrote as it booted, with their content once
   * it listened (null: gone); `schemas`: the code of the schemas it compiled, for the next generation.
   */
  | { readonly type: 'listening', readonly port: number, readonly files: readonly string[], readonly hashes: Readonly<Record<string, string>>, readonly written: Written, readonly schemas: SchemaEntries }
  /** The boot failed: the error as the overlay shows it, the files loaded until then (the broken one among them), and those it wrote. */
  | { readonly type: 'failed', readonly error: BuildErrorInfo, readonly files: readonly string[], readonly written: Written }
  /** The app booted and keeps these names (lib/dev/keep.ts): it waits for a `restore` before it listens. */
  | { readonly type: 'keeping', readonly names: readonly string[] }
  /** What the app saved when asked (`save`), and why any name it keeps was not saved. */
  | { readonly type: 'saved', readonly state: Kept, readonly failures: Readonly<Record<string, string>> }
  /** The app is about to write `path`, under its own directory, as it boots. */
  | { readonly type: 'writing', readonly path: string }
  /**
   * The app is ending this process itself (an uncaught exception, `process.exit`), before it
   * listened or while it serves: the error as the overlay shows it, sent from its 'exit' event.
   */
  | { readonly type: 'stopped', readonly error: BuildErrorInfo }
