// A route's error in a dev version reaches the browser and the terminal as it would in an app
// that registers the plugin itself. The version (child.ts) remembers what each request threw,
// prints one line for each 5xx it caused (the app's logger may be off) and sends the error, as
// the overlay shows errors, in a header of the reply; the supervisor (dev.ts) takes the header off
// what it forwards and gives the error to the page of that 5xx (inject/navigation-page.ts).
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { BuildErrorInfo } from '../../types/index.js'
import { rememberRouteError, routeErrorInfo } from '../inject/route-error.js'

/** From a version to the supervisor, on loopback: never passed on to a browser. */
export const ROUTE_ERROR_HEADER = 'x-fastify-livereload-route-error'

/** Fastify's handler errors, whatever the app's error handler then answers (Fastify 5). */
const HANDLER_ERROR = 'tracing:fastify.request.handler:error'

/**
 * Characters of each field sent at most: the header stays well within the 16 KiB of headers the
 * supervisor's HTTP client reads (base64url of ~7 KB of JSON, ~9.5 KB).
 */
const MAX = { message: 1000, file: 500, frame: 2000, stack: 3000 } as const

/**
 * In a version: what each request threw, from Fastify's handler channel (an error the app's own
 * error handler answered for too) and its onError hook (hooks' errors, and the handler's in
 * Fastify versions without the channel). Hooks on the app's root, added before the app's plugin
 * is registered, so that every route of it has them. `dir`: the app's own files, for the place.
 */
export function trackRouteErrors (app: FastifyInstance, dir: string): void {
  const thrown = new WeakMap<object, Error>()
  const shown = new WeakMap<object, BuildErrorInfo>()
  const remember = (request: object, error: unknown): void => {
    if (error instanceof Error && !thrown.has(request)) thrown.set(request, error)
  }
  const onHandlerError = (store: unknown): void => {
    const { request, error } = store as { request?: object, error?: unknown }
    if (request !== undefined) remember(request, error)
  }
  subscribe(HANDLER_ERROR, onHandlerError)
  app.addHook('onClose', (_app, done) => { unsubscribe(HANDLER_ERROR, onHandlerError); done() })
  app.addHook('onError', (request, _reply, error, done) => { remember(request, error); done() })
  app.addHook('onSend', (request, reply, payload, done) => {
    const error = reply.statusCode >= 500 ? thrown.get(request) : undefined
    if (error !== undefined) {
      const info = routeErrorInfo(error, dir)
      shown.set(request, info)
      reply.header(ROUTE_ERROR_HEADER, Buffer.from(JSON.stringify(clipped(info))).toString('base64url'))
    }
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const info = shown.get(request)
    // Fastify's own error handler logs a 5xx's error where the app's logger is on.
    if (info !== undefined && !logsErrors(app)) {
      const error = thrown.get(request)!
      const place = info.file === undefined ? '' : ` (${[info.file, info.line, info.column].filter(part => part !== undefined).join(':')})`
      process.stderr.write(`${oneLine(`${request.method} ${request.url} ${reply.statusCode}: ${error.name}: ${error.message.split('\n', 1)[0]!}`)}${oneLine(place)}\n`)
    }
    done()
  })
}

/** Whether the app's logger writes errors: pino's can say; with the logger off, Fastify's has no such method. */
function logsErrors (app: FastifyInstance): boolean {
  const log = app.log as { isLevelEnabled?: (level: string) => boolean }
  return log.isLevelEnabled?.('error') === true
}

/**
 * In the supervisor: `headers` of a version's reply to `request` without the route error header;
 * the error it carried, if it reads as one, goes to the page of that reply.
 */
export function takeRouteError<Headers extends IncomingHttpHeaders> (request: object, headers: Headers): Headers {
  const { [ROUTE_ERROR_HEADER]: value, ...rest } = headers
  if (value === undefined) return headers
  const info = typeof value === 'string' ? decoded(value) : undefined
  if (info !== undefined) rememberRouteError(request, info)
  return rest as Headers
}

/** The error a header carries: a message and, of the rest, what has the type it should. */
function decoded (value: string): BuildErrorInfo | undefined {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>
  } catch {
    return undefined
  }
  if (data === null || typeof data !== 'object' || typeof data.message !== 'string') return undefined
  const info: Record<string, unknown> = {}
  for (const key of ['message', 'file', 'frame', 'stack'] as const) {
    if (typeof data[key] === 'string') info[key] = (data[key] as string).slice(0, MAX[key])
  }
  for (const key of ['line', 'column']) {
    if (Number.isSafeInteger(data[key]) && (data[key] as number) > 0) info[key] = data[key]
  }
  return info as unknown as BuildErrorInfo
}

function clipped (info: BuildErrorInfo): BuildErrorInfo {
  const copy: Record<string, unknown> = { ...info }
  for (const key of ['message', 'file', 'frame', 'stack'] as const) {
    if (typeof copy[key] === 'string') copy[key] = (copy[key] as string).slice(0, MAX[key])
  }
  return copy as unknown as BuildErrorInfo
}

/** Text for one line of a terminal: no control character (a URL's, a message's) gets through. */
function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
