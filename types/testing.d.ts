// The test harness, `fastify-livereload/testing`, written by hand like the main contract. Users'
// own tap or node:test suites import it; it imports no test framework.
import type { FastifyInstance } from 'fastify'
import type { BroadcastMessage, BuildErrorInfo, ServerMessage } from './index.js'

export type MessageType = ServerMessage['type']

/** The message of one type: `MessageOf<'reload'>` is `{ type: 'reload', paths: string[] }`. */
export type MessageOf<T extends MessageType> = Extract<ServerMessage, { type: T }>

/** The messages that end a change, what the browser does about it: every broadcast but `building`. */
export type OutcomeMessage = Exclude<BroadcastMessage, MessageOf<'building'>>

export interface WaitOptions {
  /** Milliseconds to wait before rejecting with `FST_LIVERELOAD_TIMEOUT`. @default the connection's `timeout` */
  timeout?: number
}

export interface ConnectLiveReloadOptions {
  /**
   * How to reach the channel. `'inject'`: `app.injectWS()`, in memory, no port. `'socket'`: a
   * real WebSocket over loopback; an app that is not listening is made to listen on
   * 127.0.0.1, port 0. `'auto'`: `'socket'` when the app already listens over plain HTTP,
   * else `'inject'`.
   * @default 'auto'
   */
  transport?: 'auto' | 'inject' | 'socket'
  /**
   * The plugin's `path` option, if the app changed it.
   * @default '/__livereload'
   */
  path?: string
  /**
   * Milliseconds that connecting, `next()`, `change()` and `trigger()` wait before they reject.
   * @default 10000
   */
  timeout?: number
  /** Extra headers of the upgrade request (`origin`, `host`), to test the Origin/Host guard. */
  headers?: Record<string, string>
}

/** One connection to the live reload channel, as a browser tab would hold it. */
export interface LiveReloadTestClient {
  /** How it is connected. */
  readonly transport: 'inject' | 'socket'
  /** The first message: `instance` identifies this server start. */
  readonly hello: MessageOf<'hello'>
  /** Every message received so far, `hello` first. */
  readonly messages: readonly ServerMessage[]
  /**
   * Resolves with the next message of this type (or of one of these types) received after the
   * call. Rejects with `FST_LIVERELOAD_TIMEOUT`, naming the types and the messages received
   * meanwhile, or with `FST_LIVERELOAD_CHANNEL_CLOSED` if the connection closes first.
   */
  next<T extends MessageType> (type: T | readonly T[], options?: WaitOptions): Promise<MessageOf<T>>
  /**
   * Writes `contents` to `file` (relative to the working directory, created with its directory
   * if missing) the way editors save, by rename, and resolves with the messages that followed
   * up to the outcome: `building` first when a builder runs, the `OutcomeMessage` last.
   * Waiting starts before the write.
   */
  change (file: string, contents: string | Uint8Array, options?: WaitOptions): Promise<BroadcastMessage[]>
  /**
   * Runs `action` (a delete, a rename, `app.liveReload.build()`...) and resolves with the
   * messages that followed up to the outcome, like `change()`. Waiting starts before the action.
   */
  trigger (action: () => unknown, options?: WaitOptions): Promise<BroadcastMessage[]>
  /**
   * The errors the overlay shows now: those of the last `error` message, or null once a
   * `reload`, `css`, `img` or `clear` followed it. (`app.liveReload.stats().lastErrors` is the
   * server's view of the last build.)
   */
  lastErrors (): BuildErrorInfo[] | null
  /** Sends a raw frame to the server, as a misbehaving client would. */
  send (data: string | Uint8Array): void
  /** Resolves when the connection closes, from either side (1001: the server shut down). */
  readonly closed: Promise<{ code: number, reason: string }>
  /** Closes the connection and rejects pending waits. Idempotent; `app.close()` closes it too. */
  close (): Promise<void>
}

/**
 * Connects to the live reload channel of an app on which the plugin is registered (and
 * enabled), after `app.ready()`, and resolves once `hello` arrived. Rejects with
 * `FST_LIVERELOAD_CONNECT_FAILED` saying why (plugin missing or off, guard refusal, full).
 */
// Any instance: a custom logger, server or type provider changes FastifyInstance's parameters.
export declare function connectLiveReload (app: FastifyInstance<any, any, any, any, any>, options?: ConnectLiveReloadOptions): Promise<LiveReloadTestClient>
