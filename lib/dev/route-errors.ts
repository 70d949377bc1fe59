// A route's error in a dev version reaches the browser and the terminal as it would in an app
// that registers the plugin itself. The version (child.ts) remembers what each request threw,
// prints one line for each 5xx it caused (the app's logger may be off) and sends the error, as
// the overlay shows errors, in a header of the reply; the supervisor (dev.ts) takes the header off
// what it forwards and gives the error to the page of that 5xx (inject/navigation-page.ts).
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { BuildErrorInfo } from '../../types/index.js'
import { rememberRouteError, routeErrorInfo } from '../inject/route-error.js'
import { ROUTE_ERROR_HEADER } from '../proxy-headers.js'

/** Characters of each field kept at most. */
const MAX = { message: 1000, file: 500, frame: 2000, stack: 3000 } as const
/**
 * Characters of the header at most: well within the 16 KiB of headers the supervisor's HTTP
 * client reads, whatever the error's text (a script of several bytes a character, control
 * characters escaped as six).
 */
const MAX_HEADER = 8 * 1024

/**
 * In a version: what each request threw, from Fastify's onError hook, which runs before any
 * error handler of the app's (an error the app answers for in its own words included). Hooks on
 * the app's root, added before the app's plugin is registered, so that every route of it has
 * them. `dir`: the app's own files (by their real path), for the place.
 */
export function trackRouteErrors (app: FastifyInstance, dir: string): void {
  /** What each request threw: an Error mostly, but a route may throw anything (a string, null). */
  const thrown = new WeakMap<object, unknown>()
  const shown = new WeakMap<object, BuildErrorInfo>()
  app.addHook('onError', (request, _reply, error, done) => {
    if (!thrown.has(request)) thrown.set(request, error)
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 500 && thrown.has(request)) {
      const info = routeErrorInfo(thrown.get(request), dir)
      shown.set(request, info)
      reply.header(ROUTE_ERROR_HEADER, encoded(info))
    }
    done(null, payload)
  })
  app.addHook('onResponse', (request, reply, done) => {
    const info = shown.get(request)
    // Fastify's own error handler logs a 5xx's error where the app's logger is on. Written as it
    // is, not through a logger: the app's may be off, and the supervisor's is not this process's.
    if (info !== undefined && !logsErrors(app)) {
      const error = thrown.get(request)
      const place = info.file === undefined ? '' : ` (${[info.file, info.line, info.column].filter(part => part !== undefined).join(':')})`
      const name = error instanceof Error ? `${error.name}: ` : ''
      process.stderr.write(`${oneLine(`${request.method} ${request.url} ${reply.statusCode}: ${name}${info.message.split('\n', 1)[0]!}`)}${oneLine(place)}\n`)
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
  return clipped(data)
}

/** The error's fields of the type they should have, each within MAX. */
function clipped (data: Record<string, unknown>): BuildErrorInfo {
  const info: Record<string, unknown> = {}
  for (const key of ['message', 'file', 'frame', 'stack'] as const) {
    if (typeof data[key] === 'string') info[key] = (data[key] as string).slice(0, MAX[key])
  }
  for (const key of ['line', 'column']) {
    if (Number.isSafeInteger(data[key]) && (data[key] as number) > 0) info[key] = data[key]
  }
  return info as unknown as BuildErrorInfo
}

/**
 * The header's value: the error as base64url JSON, within MAX_HEADER. Past it, the stack goes,
 * then the frame, then the file: a message alone (1,000 characters, 6 bytes each at most as
 * JSON) always fits.
 */
function encoded (error: BuildErrorInfo): string {
  const info: Record<string, unknown> = { ...clipped(error as unknown as Record<string, unknown>) }
  const encode = (): string => Buffer.from(JSON.stringify(info)).toString('base64url')
  let value = encode()
  for (const key of ['stack', 'frame', 'file']) {
    if (value.length <= MAX_HEADER) break
    delete info[key]
    value = encode()
  }
  return value
}

/** Text for one line of a terminal: no control character (a URL's, a message's) gets through. */
function oneLine (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
