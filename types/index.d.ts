// The public contract of fastify-livereload, written by hand. lib/ imports its public types
// from here, so the implementation cannot drift from what users compile against.
import type { FastifyError, FastifyErrorConstructor } from '@fastify/error'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyStaticOptions } from '@fastify/static'

/** One error of a failed build, as the browser overlay shows it. */
export interface BuildErrorInfo {
  message: string
  /** Source file, relative to the process working directory when it lies inside it. */
  file?: string
  line?: number
  column?: number
  /** A code frame: a few lines of source around the error. */
  frame?: string
  stack?: string
}

/** One file event, after normalisation. */
export interface FileChange {
  /** Absolute path. */
  path: string
  type: 'create' | 'update' | 'delete'
}

/** Protocol version spoken on the channel; `hello` carries it. */
export type ProtocolVersion = 1

/** Messages from the server to the browser (JSON text frames on the WebSocket). */
export type ServerMessage =
  | { type: 'hello', protocol: ProtocolVersion, instance: string }
  | { type: 'building', changes: string[] }
  | { type: 'reload', paths: string[] }
  | { type: 'css', paths: string[] }
  | { type: 'img', paths: string[] }
  | { type: 'error', errors: BuildErrorInfo[] }
  | { type: 'clear' }

/** A message an app may broadcast itself; `hello` belongs to the connection handshake. */
export type BroadcastMessage = Exclude<ServerMessage, { type: 'hello' }>

/** Snapshot returned by `fastify.liveReload.stats()` and `GET {path}/status`. */
export interface LiveReloadStats {
  /** Id of this server start; browsers reload when it changes. */
  instance: string
  /** Connected browsers. */
  clients: number
  /** Messages broadcast since start (`hello` excluded). */
  messages: number
  /** Directories watched, relative to the process working directory when inside it. */
  watched: string[]
}

/** The `fastify.liveReload` decorator. */
export interface LiveReloadController {
  /**
   * Tell every browser to reload. `paths` are URL paths for the record (and for clients that
   * only reload pages they show); omit them for "everything".
   */
  reload (paths?: string[]): void
  /** Broadcast a protocol message as it is. */
  send (message: BroadcastMessage): void
  /** Connected browsers. */
  readonly clients: number
  stats (): LiveReloadStats
}

export type InjectPredicate = (request: FastifyRequest, reply: FastifyReply) => boolean
export type NonceProvider = (request: FastifyRequest, reply: FastifyReply) => string | undefined

export interface LiveReloadOptions {
  /**
   * Output directory: served with @fastify/static and watched; a change reloads browsers, a
   * change to stylesheets (or images) alone swaps them in place. `false` or absent: the app serves its own pages
   * and only injection and the channel are added. Relative paths resolve against the process
   * working directory.
   * @default false
   */
  root?: string | false
  /**
   * URL prefix under which `root` is served.
   * @default '/'
   */
  prefix?: string
  /**
   * Extra @fastify/static options, merged over ours (`root`, `prefix` and `decorateReply`
   * are ours to set).
   * @default {}
   */
  static?: Omit<FastifyStaticOptions, 'root' | 'prefix'>
  /**
   * Globs (picomatch, relative to the watched directory) and RegExps (tested against the
   * absolute path) that the watcher ignores, on top of the defaults: `.git`, `node_modules`
   * and editor swap and backup files.
   * @default []
   */
  ignore?: Array<string | RegExp>
  /**
   * Quiet window in milliseconds that coalesces a burst of file events into one message.
   * @default 75
   */
  debounce?: number
  /**
   * Base path of the channel routes: the WebSocket at `path`, the client at `{path}/client.js`,
   * the stats at `{path}/status`.
   * @default '/__livereload'
   */
  path?: string
  /**
   * `false` injects nothing; a function decides per response. Route config
   * `{ liveReload: false }` opts a single route out.
   * @default true
   */
  inject?: boolean | InjectPredicate
  /**
   * The script nonce to put on the injected tag. By default it is read from the response's
   * `Content-Security-Policy` header (`script-src`, else `default-src`).
   */
  nonce?: NonceProvider
  /**
   * Swap stylesheets in place when only CSS files changed, and images when only images
   * changed, without a page reload. `false` reloads the page instead.
   * @default true
   */
  css?: boolean
  /**
   * Origins, besides the page's own, allowed to open the channel (`'https://dev.example:8443'`).
   * `true` allows any origin.
   * @default []
   */
  allowedOrigins?: string[] | true
  /**
   * Host names, besides local names and IP addresses, allowed to reach the channel. A leading
   * dot allows subdomains (`'.example.test'`). `true` allows any host.
   * @default []
   */
  allowedHosts?: string[] | true
  /**
   * Connected browsers beyond this number are refused with 503.
   * @default 1000
   */
  maxClients?: number
  /**
   * When false the plugin only serves `root` (if given) and logs that live reload is off.
   * @default process.env.NODE_ENV !== 'production'
   */
  enabled?: boolean
}

type InvalidOptionError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_INVALID_OPTION' }, [option: string, problem: string]>
type WatchFailedError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_WATCH_FAILED' }, [dir: string, opts?: { cause: unknown }]>
type InvalidMessageError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_INVALID_MESSAGE' }, [problem: string]>

/** Constructors of every error the plugin throws; match on `err.code`. */
export declare const errors: {
  FST_LIVERELOAD_INVALID_OPTION: InvalidOptionError
  FST_LIVERELOAD_WATCH_FAILED: WatchFailedError
  FST_LIVERELOAD_INVALID_MESSAGE: InvalidMessageError
}

export type LiveReloadError = FastifyError

export declare const liveReload: FastifyPluginAsync<LiveReloadOptions>
export default liveReload

declare module 'fastify' {
  interface FastifyInstance {
    liveReload: LiveReloadController
  }
  interface FastifyContextConfig {
    /** `false` keeps the client tag out of this route's HTML. */
    liveReload?: boolean
  }
}
