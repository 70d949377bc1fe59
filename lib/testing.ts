import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { dirname, resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { WebSocket } from 'ws'
import type { BuildErrorInfo, ServerMessage } from '../types/index.js'
import type { ConnectLiveReloadOptions, LiveReloadTestClient, WaitOptions } from '../types/testing.js'
import { FST_LIVERELOAD_CHANNEL_CLOSED, FST_LIVERELOAD_CONNECT_FAILED, FST_LIVERELOAD_INVALID_OPTION, FST_LIVERELOAD_TIMEOUT } from './errors.js'
import { injectorOf } from './channel/websocket.js'
import { OUTCOME_TYPES } from './message-types.js'
import { DEFAULT_PATH } from './channel/options.js'
import { integerOption } from './validate.js'

/** How long connecting and each wait take at most unless `timeout` says otherwise (ms). */
const DEFAULT_WAIT_MS = 10_000
const TRANSPORTS = new Set(['auto', 'inject', 'socket'])
/** A socket that does not answer our close frame within this is terminated (ms). */
const CLOSE_FRAME_WAIT_MS = 1000

interface Waiter {
  types: ReadonlySet<string>
  awaited: string
  resolve: (index: number) => void
  reject: (err: Error) => void
}

/** See types/testing.d.ts. */
export async function connectLiveReload (app: FastifyInstance, options: ConnectLiveReloadOptions = {}): Promise<LiveReloadTestClient> {
  const { path = DEFAULT_PATH, transport = 'auto', timeout = DEFAULT_WAIT_MS, headers = {} } = options
  if (typeof path !== 'string' || !path.startsWith('/')) throw new FST_LIVERELOAD_INVALID_OPTION('path', 'must be a string starting with "/"')
  if (!TRANSPORTS.has(transport)) throw new FST_LIVERELOAD_INVALID_OPTION('transport', 'must be "auto", "inject" or "socket"')
  integerOption('timeout', timeout, { unit: 'ms' })

  await app.ready() // before it, injectWS never answers: the routes are not there yet
  if (!app.hasDecorator('liveReload')) throw new FST_LIVERELOAD_CONNECT_FAILED(path, 'fastify-livereload is not registered on this app')
  if (app.liveReload.stats().instance === '') throw new FST_LIVERELOAD_CONNECT_FAILED(path, 'live reload is off on this app (enabled: false)')

  let resolveClosed!: (info: { code: number, reason: string }) => void
  const closed = new Promise<{ code: number, reason: string }>(resolve => { resolveClosed = resolve })
  const channel: Channel = { messages: [], waiters: new Set(), closeDetail: null, resolveClosed }
  const { messages } = channel
  const onInit = (socket: WebSocket): void => listen(channel, socket)

  const upgradeHeaders = { host: 'localhost', ...headers } // injectWS sends no Host; our guard requires one
  const hello = waitFor(channel, ['hello'], '"hello"', timeout)
  let socket: WebSocket
  let chosen: 'inject' | 'socket'
  try {
    chosen = transport === 'auto' ? (isPlainHttpListening(app) ? 'socket' : 'inject') : transport
    socket = chosen === 'inject'
      ? await injectSocket(app, path, upgradeHeaders, onInit)
      : await realSocket(app, path, headers, onInit)
  } catch (err) {
    hello.cancel()
    throw err
  }
  const first = messages[await hello.promise.catch(async (err: Error) => {
    socket.terminate()
    throw new FST_LIVERELOAD_CONNECT_FAILED(path, `no hello from the server (${err.message})`, { cause: err })
  })] as Extract<ServerMessage, { type: 'hello' }>

  let closing: Promise<void> | undefined
  return {
    transport: chosen,
    hello: first,
    messages,
    async next (type, opts = {}) {
      const types: readonly string[] = typeof type === 'string' ? [type] : type
      const { promise } = waitFor(channel, types, types.map(t => `"${t}"`).join(' or '), waitTimeout(opts, timeout))
      return messages[await promise] as never
    },
    change: async (file, contents, opts) => await trigger(channel, () => save(resolve(file), contents), `the outcome of the change to ${file}`, timeout, opts) as never,
    trigger: async (action, opts) => await trigger(channel, action, 'the outcome of the action', timeout, opts) as never,
    lastErrors: () => standingErrors(messages),
    send (data) { socket.send(data) },
    closed,
    close: () => (closing ??= closeSocket(socket, chosen, closed))
  }
}

/** What the client's parts share: the messages so far, the waits for more, and how the channel closed. */
interface Channel {
  readonly messages: ServerMessage[]
  readonly waiters: Set<Waiter>
  /** How the channel closed (its code and reason), null while it is open. */
  closeDetail: string | null
  readonly resolveClosed: (info: { code: number, reason: string }) => void
}

// Listeners go on before the handshake, so that no frame that follows it can be missed.
function listen (channel: Channel, socket: WebSocket): void {
  const { messages, waiters } = channel
  socket.on('error', () => {}) // a failed handshake rejects below; later errors end in 'close'
  socket.on('message', data => {
    let message: ServerMessage
    try {
      message = JSON.parse(String(data)) as ServerMessage
    } catch {
      return // not our protocol (a `path` that leads elsewhere): connecting then fails for want of hello
    }
    const index = messages.push(message) - 1
    for (const waiter of waiters) {
      if (!waiter.types.has(message.type)) continue
      waiters.delete(waiter)
      waiter.resolve(index)
    }
  })
  socket.once('close', (code: number, reason: Buffer) => {
    channel.closeDetail = `code ${code}${reason.length > 0 ? `, ${String(reason)}` : ''}`
    for (const waiter of waiters) waiter.reject(new FST_LIVERELOAD_CHANNEL_CLOSED(waiter.awaited, channel.closeDetail))
    waiters.clear()
    channel.resolveClosed({ code, reason: String(reason) })
  })
}

/** Resolves with the index of the first message of `types` received from now on. */
function waitFor (channel: Channel, types: readonly string[], awaited: string, ms: number): { promise: Promise<number>, cancel: () => void } {
  const { messages, waiters } = channel
  const from = messages.length
  let timer: NodeJS.Timeout | undefined
  let waiter: Waiter | undefined
  const promise = new Promise<number>((resolve, reject) => {
    if (channel.closeDetail !== null) return reject(new FST_LIVERELOAD_CHANNEL_CLOSED(awaited, channel.closeDetail))
    const settle = <A>(fn: (arg: A) => void) => (arg: A): void => { clearTimeout(timer); fn(arg) }
    waiter = { types: new Set(types), awaited, resolve: settle(resolve), reject: settle(reject) }
    waiters.add(waiter)
    // Not unref()ed: a test awaiting this must not see its event loop drain and exit silently.
    timer = setTimeout(() => {
      waiters.delete(waiter as Waiter)
      reject(Object.assign(new FST_LIVERELOAD_TIMEOUT(ms, awaited, describeSeen(messages.slice(from))), {
        awaited: [...types], timeout: ms, messages: messages.slice(from)
      }))
    }, ms)
  })
  promise.catch(() => {}) // a wait cancelled after it failed is nobody's unhandled rejection
  return { promise, cancel: () => { clearTimeout(timer); if (waiter !== undefined) waiters.delete(waiter) } }
}

/** The messages from now up to the outcome (`OUTCOME_TYPES`) of `action`, waited for `opts.timeout` or `timeout` (ms). */
async function trigger (channel: Channel, action: () => unknown, awaited: string, timeout: number, opts: WaitOptions = {}): Promise<ServerMessage[]> {
  if (channel.closeDetail !== null) throw new FST_LIVERELOAD_CHANNEL_CLOSED(awaited, channel.closeDetail) // before acting
  const { messages } = channel
  const from = messages.length
  const outcome = waitFor(channel, OUTCOME_TYPES, `${awaited} (${OUTCOME_TYPES.map(type => `"${type}"`).join(', ')})`, waitTimeout(opts, timeout))
  try {
    await action()
  } catch (err) {
    outcome.cancel()
    throw err
  }
  return messages.slice(from, await outcome.promise + 1)
}

function waitTimeout (opts: WaitOptions, timeout: number): number {
  return integerOption('timeout', opts.timeout ?? timeout, { unit: 'ms' })
}

/** Ends the connection; resolves once it is closed (a socket that does not answer is terminated past CLOSE_FRAME_WAIT_MS). */
async function closeSocket (socket: WebSocket, chosen: 'inject' | 'socket', closed: Promise<unknown>): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return
  // Through injectWS the server never sees a close handshake end (its stream emits no
  // 'close'), so that connection is terminated; a real socket closes cleanly.
  if (chosen === 'inject') socket.terminate()
  else socket.close(1000)
  const grace = setTimeout(() => socket.terminate(), CLOSE_FRAME_WAIT_MS)
  await closed
  clearTimeout(grace)
}

function isPlainHttpListening (app: FastifyInstance): boolean {
  return app.server.listening && typeof app.server.address() === 'object' && !app.initialConfig.https && !app.initialConfig.http2
}

async function injectSocket (app: FastifyInstance, path: string, headers: Record<string, string>, listen: (socket: WebSocket) => void): Promise<WebSocket> {
  try {
    // The channel's own: the app has none unless it registered @fastify/websocket itself. Checked above: the plugin is on.
    return await injectorOf(app.liveReload)!(path, { headers } as never, { onInit: listen })
  } catch (err) {
    const status = Number(/(\d{3})/.exec((err as Error).message)?.[1])
    throw new FST_LIVERELOAD_CONNECT_FAILED(path, refusal(status, ''), { cause: err })
  }
}

async function realSocket (app: FastifyInstance, path: string, headers: Record<string, string>, listen: (socket: WebSocket) => void): Promise<WebSocket> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string' || app.initialConfig.https || app.initialConfig.http2) {
    throw new FST_LIVERELOAD_CONNECT_FAILED(path, 'transport "socket" needs a plain HTTP server listening on TCP; use transport: "inject"')
  }
  const socket = new WebSocket(`ws://${loopbackHost(address)}:${address.port}${path}`, { headers })
  listen(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', err => reject(new FST_LIVERELOAD_CONNECT_FAILED(path, err.message, { cause: err })))
    socket.once('unexpected-response', (request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('end', () => {
        reject(new FST_LIVERELOAD_CONNECT_FAILED(path, refusal(response.statusCode as number, body)))
        request.destroy()
      })
    })
  })
  return socket
}

/** Where a server bound to `address` is reached from this process: a wildcard bind through loopback. */
export function loopbackHost (address: AddressInfo): string {
  if (address.family === 'IPv6') return address.address === '::' ? '[::1]' : `[${address.address}]`
  return address.address === '0.0.0.0' ? '127.0.0.1' : address.address
}

function refusal (status: number, body: string): string {
  const why = status === 404
    ? 'no channel at this path (is the plugin\'s `path` option different?)'
    : status === 503
      ? 'the server has maxClients clients already'
      : status === 400 || status === 403
        ? 'refused by the Origin/Host guard (see allowedOrigins and allowedHosts)'
        : 'not the channel\'s answer (does an onRequest hook of the app answer first?)'
  return `the server answered ${status}: ${body !== '' ? `${body}; ` : ''}${why}`
}

/** Saves like an editor: write a sibling, then rename it over the file (`*~` is ignored by the watcher). */
async function save (file: string, contents: string | Uint8Array): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.${randomBytes(4).toString('hex')}~`
  await writeFile(temporary, contents)
  await rename(temporary, file)
}

/** The errors a browser's overlay would show after these messages (see the hub's standing error). */
function standingErrors (messages: readonly ServerMessage[]): BuildErrorInfo[] | null {
  let errors: BuildErrorInfo[] | null = null
  for (const message of messages) {
    if (message.type === 'error') errors = message.errors
    else if (message.type !== 'building' && message.type !== 'hello') errors = null
  }
  return errors
}

function describeSeen (seen: readonly ServerMessage[]): string {
  if (seen.length === 0) return 'no message arrived meanwhile'
  const list = seen.map(message => {
    const json = JSON.stringify(message)
    return json.length > 300 ? `${json.slice(0, 300)}…` : json
  }).join(', ')
  return `received meanwhile: ${list}`
}
