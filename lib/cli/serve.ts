import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Server } from 'node:http'
import Fastify, { LogController, type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { LiveReloadOptions } from '../../types/index.js'
import { liveReload } from '../plugin.js'
import type { CliOptions } from './args.js'
import type { Certificate } from './certificate.js'
import { lazyCompilers } from '../lazy-compilers.js'
import { createRootCheck } from '../static-policy.js'
import type { Report } from './report.js'

/**
 * The command's app: a directory served with live reload, or (`proxy`) every request and
 * WebSocket forwarded to another server, whose HTML the plugin injects like any other. With a
 * `certificate`, HTTPS over HTTP/2 and HTTP/1.1. Not listening yet. Rejects with the plugin's
 * coded error when an option is invalid.
 */
export async function createApp (options: CliOptions, report: Report, certificate: Certificate | null = null): Promise<FastifyInstance> {
  // Typed as the HTTP/1 server's options whatever the server: the app only reaches requests and
  // replies through what HTTP/2's compatibility API shares with HTTP/1.
  const app = Fastify({
    ...(certificate === null ? {} : (await import('./certificate.js')).httpsServerOptions(certificate)) as FastifyHttpOptions<Server>, // as the dev server does: crypto and files only for HTTPS
    schemaController: { compilersFactory: lazyCompilers() },
    logger: { level: options.isQuiet ? 'warn' : 'info', stream: report.stream },
    logController: new LogController({ disableRequestLogging: true }), // a line per change, not per request
    // Ctrl-C ends keep-alive connections at once rather than waiting them out
    forceCloseConnections: true
  })
  const dir = resolve(options.dir)
  const plugin: LiveReloadOptions = {
    enabled: true, // a command run for live reload, whatever NODE_ENV says
    root: options.proxy === null ? dir : false,
    watch: options.watch.length > 0 ? [...options.watch] : options.proxy === null ? [] : [dir],
    ignore: [...options.ignore],
    poll: options.poll,
    livereload: options.livereload,
    sync: options.sync,
    openInEditor: options.editor,
    patch: options.patch
  }
  if (options.build.length > 0) {
    const { commandBuilder } = await import('../builders/command.js') // the builders: only with --build or --run
    plugin.builder = commandBuilder([...options.build])
    plugin.buildOnStart = false // built once listening (main.ts): the URL comes first, however long the build
  }
  if (options.run !== null) {
    const { runBuilder } = await import('../builders/run.js')
    plugin.builder = runBuilder(options.run, { begins: options.runBegins ?? undefined, ends: options.runEnds ?? undefined }) // undefined: the defaults
    plugin.buildOnStart = false // its first build reloads the pages opened meanwhile: the URL comes first
  }
  if (options.proxy !== null) {
    await app.register(liveReload, plugin)
    const upstream = options.proxy
    const { channelPaths, proxyTo } = await import('../proxy.js') // the proxy and its WebSocket forwarding: only with --proxy
    await proxyTo(app, () => upstream, channelPaths(options.livereload), {
      isInsecure: options.isProxyInsecure,
      timeout: options.proxyTimeout,
      // The upstream restarted (its own reloader, a crash and a start): the tabs it left on an
      // error page, and those showing its old code, reload.
      onUpstreamBack: target => {
        app.log.info({ plugin: 'livereload' }, `${target.origin} answers again: reloading the browsers`)
        app.liveReload.reload()
      }
    })
  } else {
    await app.register(liveReload, plugin)
    if (options.isSpa) app.setNotFoundHandler(spaFallback(dir))
  }
  return app
}

/**
 * History routing: a GET or HEAD that wants a page and matches no file gets index.html (and the
 * client with it); anything else, a script or an image that is missing, still gets a 404. The
 * static policy's root check holds here too: an index.html that links out of `dir` is not read.
 */
function spaFallback (dir: string) {
  const isInside = createRootCheck(dir)
  return async function spa (request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const isPage = (request.method === 'GET' || request.method === 'HEAD') && /\btext\/html\b/.test(request.headers.accept ?? '')
    if (isPage && isInside(join(dir, 'index.html'))) {
      const page = await readFile(join(dir, 'index.html')).catch(() => null)
      if (page !== null) return await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page)
    }
    return await reply.code(404).type('text/plain; charset=utf-8').send(`Not found: ${request.url}`)
  }
}
