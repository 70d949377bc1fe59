import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest, onErrorHookHandler, onSendHookHandler } from 'fastify'
import type { InjectPredicate, NonceProvider } from '../../types/index.js'
import type { EditorAccess } from '../editor/access.js'
import { nonceOf } from './hooks.js'
import { errorPage, messageOf } from './error-page.js'
import { isNavigation } from './navigation.js'
import { readWhole } from './read-whole.js'
import { forwardedRouteError, routeErrorInfo } from './route-error.js'

/** Bytes of a streamed reply (a proxied one) read for what it says; a longer one says nothing on the page. */
const MAX_READ = 16 * 1024

/**
 * The onSend hook that keeps a tab within reach of the client: a browser navigation that ends
 * in a 404 or a 5xx whose body is not HTML (Fastify's JSON not-found and error replies,
 * @fastify/static's 404, a bare `reply.code(500).send()`) gets a small HTML page instead, with
 * the same status. The injection hook, which runs next, puts the client tag in it like in any
 * page (the response's nonce included), so the tab reconnects and the next reload brings it
 * back: without it, a reload that came while a clean rebuild had removed the page left the tab
 * on a JSON reply, out of reach of every later reload.
 *
 * It looks at the status code and the content type only, whatever the app's own not-found and
 * error handlers did. Left as they were: requests that are not navigations (fetch, XHR, API
 * clients), bodies that are HTML already (the app's own error pages; they get the tag the usual
 * way), routes opted out (route config or the `inject` function) and the channel routes. HEAD
 * gets the headers GET gets. A callback hook, like the injection's: it runs on every request,
 * and all but a few leave at the status check.
 */
export function createNavigationPageHooks (options: {
  isChannel: (url: string) => boolean
  inject: InjectPredicate
  /** Places in errors open the editor: what errors name, and the URL of the module that makes them links. */
  editor: { access: EditorAccess, script: string } | null
  nonce: NonceProvider | null
}): { onError: onErrorHookHandler, onSend: onSendHookHandler } {
  // What a route threw, for the page of its 5xx: its stack and code frame are not in the reply.
  const thrown = new WeakMap<FastifyRequest, Error>()

  function isStranding (request: FastifyRequest, reply: FastifyReply): boolean {
    const status = reply.statusCode
    if (status !== 404 && (status < 500 || status > 599)) return false
    if (!isNavigation(request.method, request.headers)) return false
    if (/^\s*(text\/html|application\/xhtml\+xml)\s*(;|$)/i.test(String(reply.getHeader('content-type') ?? ''))) return false
    if (options.isChannel(request.url)) return false
    return request.routeOptions.config?.liveReload !== false && options.inject(request, reply)
  }

  function rememberError (request: FastifyRequest, _reply: FastifyReply, error: Error, done: () => void): void {
    thrown.set(request, error)
    done()
  }

  function navigationPage (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
    if (!isStranding(request, reply)) return done(null, payload)
    if (!isStream(payload)) return done(null, pageFor(request, reply, payload))
    // A stream (a reply the dev server or --proxy forwards): what it says, when it is short and
    // not compressed.
    const encoding = String(reply.getHeader('content-encoding') ?? 'identity').toLowerCase()
    if (encoding !== 'identity') {
      payload.destroy() // not sent: let go of what it holds (a file, a socket)
      return done(null, pageFor(request, reply, undefined))
    }
    readWhole(payload, MAX_READ, (err, whole, rest) => {
      if (err !== null || rest !== null) { // not sent: let go of what it holds (a file, a socket)
        rest?.destroy()
        payload.destroy()
      }
      done(null, pageFor(request, reply, whole))
    })
  }

  /** The page in place of `payload`, with the headers it needs. */
  function pageFor (request: FastifyRequest, reply: FastifyReply, payload: unknown): Buffer {
    const status = reply.statusCode
    // HEAD gets the page GET would get, so that its headers (Content-Length) are the same:
    // Fastify's not-found reply names the method. (A forwarded HEAD's reply has no body to say
    // anything: its page lacks what GET's says. Browsers navigate with GET.)
    const method = request.method === 'HEAD' ? 'GET' : request.method
    const said = messageOf(payload, String(reply.getHeader('content-type') ?? ''))
    const message = request.method === 'HEAD' ? said?.replace(/^Route HEAD:/, 'Route GET:') : said
    const error = status < 500 ? undefined : thrown.has(request) ? routeErrorInfo(thrown.get(request)) : forwardedRouteError(request)
    if (error !== undefined) options.editor?.access.noteErrors([error]) // its places are links: node_modules ones included
    const editor = options.editor === null ? undefined : { script: options.editor.script, nonce: options.nonce?.(request, reply) ?? nonceOf(reply.getHeader('content-security-policy')) }
    const page = Buffer.from(errorPage({ status, method, url: request.url, message, error, editor }))
    for (const name of ['content-encoding', 'content-disposition', 'content-range', 'etag', 'last-modified']) {
      if (reply.hasHeader(name)) reply.removeHeader(name)
    }
    reply.header('content-type', 'text/html; charset=utf-8')
    reply.header('content-length', page.length) // HEAD included: Fastify computes it for GET only
    reply.header('cache-control', 'no-store') // the page the address really has comes back with the next build
    return page
  }

  return { onError: rememberError, onSend: navigationPage }
}

function isStream (payload: unknown): payload is Readable {
  return payload !== null && typeof payload === 'object' && typeof (payload as Readable).pipe === 'function' && typeof (payload as Readable).destroy === 'function'
}
