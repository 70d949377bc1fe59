// `fastify-livereload/dev`: the user's Fastify app reloaded when its code changes, behind one port
// that never goes down. The supervisor (this module) owns the port, the channel, the watcher and
// the builders, through the plugin; each version of the app runs in a child process (a
// generation, generations.ts). A code change is a build of the plugin's pipeline, so a burst of
// saves is one generation and one reload, a change during a boot cancels it (`supersede`), and a
// failed boot is an `error` in the overlay while the previous generation keeps serving.
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import type { Server } from 'node:http'
import type { SecureServerOptions } from 'node:http2'
import type { FastifyHttpOptions, FastifyInstance } from 'fastify'
import type { DevOptions, DevServer } from '../../types/dev.js'
import type { Builder, BuildContext, BuildOutcome, FileChange, LiveReloadOptions } from '../../types/index.js'
import { contentHash } from './content-hash.js'
import { createGenerations, type Boot, type Generation, type Generations } from './generations.js'
import { isNewModule } from './new-modules.js'
import { createRestarts, RESTART_WAIT_MS, type Restarts } from './restarts.js'
import { devSettings, loaderFor } from './settings.js'
import type { EarlyChild } from './spawn-child.js'

/** Starts the dev server; resolves once the first generation serves, or its failure is shown. */
export async function dev (options: DevOptions): Promise<DevServer> {
  return await startDev(options)
}

/**
 * `dev`, listening through `listen` (the command's: a busy port moves on) instead of on `port` and
 * `host`, with `server`'s Fastify options for the supervisor (the command's HTTPS and HTTP/2), and
 * the first child forked already (the command's, cli/early-child.ts).
 */
export async function startDev (options: DevOptions, listen?: (app: FastifyInstance) => Promise<void>, server: { http2?: true, https?: SecureServerOptions } = {}, firstChild: EarlyChild | null = null): Promise<DevServer> {
  const { entry, port, host, logger, appLogger, userBuilder, watch, pluginOptions } = devSettings(options)
  const generations = createGenerations(entry, {
    execArgv: loaderFor(entry),
    logger: appLogger,
    early: firstChild,
    onStopped: error => { restarts.stopped(error) },
    onNotKept: (names, reason) => { app.log.warn({ kept: names }, `the next version starts without what the app keeps as ${names.map(name => `"${name}"`).join(', ')}: ${reason}`) }
  })
  // The first version boots now, beside the supervisor's own start (its imports, the plugin, the
  // proxy, the port), and the first build takes it over. A file changed before the watcher was on
  // is caught as for any boot: by the content of the modules it loaded (isUpToDate).
  const early = earlyBoot(generations)
  // Imported once the first child is on its way, which imports its Fastify meanwhile, on another
  // core: Fastify, the plugin and the proxy are ~200 ms of the supervisor's start.
  // Fastify's exports through its default: the command bundles it (scripts/build.js), and a
  // bundled CommonJS module that is imported lazily has a default export only.
  const [{ default: Fastify }, { liveReload }, { channelPaths, proxyTo }, { lazyCompilers }, { takeRouteError }] =
    await Promise.all([import('fastify'), import('../plugin.js'), import('../proxy.js'), import('../lazy-compilers.js'), import('./route-errors.js')])
  // Request logging off: the supervisor's log says what changed and what was sent, not each forwarded request.
  // Typed as the HTTP/1 server's options whatever `server` says: the supervisor only reaches
  // requests and replies through what HTTP/2's compatibility API shares with HTTP/1.
  const app = Fastify({
    ...server as FastifyHttpOptions<Server>,
    logger,
    logController: new Fastify.LogController({ disableRequestLogging: true }),
    schemaController: { compilersFactory: lazyCompilers() }, // its routes declare no schema
    forceCloseConnections: true,
    pluginTimeout: 0
  })
  const restarts = createRestarts(generations, { send: message => { app.liveReload.send(message) }, log: app.log.child({ plugin: 'livereload' }) })
  app.addHook('onClose', async () => {
    restarts.close()
    early.abort() // a start that failed before its first build
    await generations.close()
  })
  const userWatch = [watch ?? []].flat().map(path => resolve(path))
  const code = codeFiles(entry, generations)
  try {
    await app.register(liveReload, {
      ...pluginOptions,
      enabled: true,
      watch: [...userWatch, dirname(entry)],
      builder: serverBuilder(generations, early, restarts, code, userBuilder === undefined ? null : asBuilder(userBuilder), userWatch),
      buildOnStart: false, // started below, once the watcher is on: the proxy and the port are made ready meanwhile
      // A change to a file the app is known to load cancels a boot under way, unless that boot
      // wrote it itself (a generator run at start); anything else (a file the app writes as it
      // starts, a client-side source) lets it finish, and is judged after.
      supersede: changes => changes.some(change => code.isKnown(change.path) && !generations.isOwnWrite(change.path))
    })
    // The first version boots while the proxy is set up and the port bound: a request that comes
    // before it listens waits for it, as for a version starting again (and as long at most: an
    // app whose import never ends must not hold requests for ever).
    const first = app.liveReload.build({ full: true })
    first.catch(() => {}) // awaited below
    const root = typeof pluginOptions.root === 'string' ? resolve(pluginOptions.root) : null
    await proxyTo(app, () => generations.current?.url ?? null, channelPaths(pluginOptions.livereload !== undefined && pluginOptions.livereload !== false), {
      unavailable: async (_request, reply) => await reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_STARTED),
      waitFor: async response => {
        response.once('close', generations.waiting())
        await settledWithin(first, RESTART_WAIT_MS) // a failed start is the 503 page's, with its error over it
        await restarts.settled() // the version that stopped, starting again
      },
      isLocalFile: root === null ? undefined : url => isFileIn(root, pluginOptions.prefix ?? '/', url),
      keepsHost: true, // the app builds its URLs from the Host browsers use
      ownHeaders: takeRouteError, // the error behind a 5xx, for its page
      hold: url => generations.hold(url)
    })
    await (listen ?? (async server => { await server.listen({ port, host }) }))(app)
    await first
  } catch (err) {
    await app.close()
    throw err
  }
  return devServer(app, listen === undefined ? host : null)
}

/** The server `app` makes, listening: its URL names `host` (null: the address it listens on). */
function devServer (app: FastifyInstance, host: string | null): DevServer {
  const address = app.server.address() as { address: string, port: number }
  const shown = host ?? address.address
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${address.port}`,
    app,
    close: async () => { await app.close() }
  }
}

/** Settles once `promise` has, or once `ms` have passed. */
async function settledWithin (promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([promise.catch(() => {}), new Promise<void>(resolve => { timer = setTimeout(resolve, ms).unref() })])
  clearTimeout(timer)
}

/** Whether `url` names a file (or a directory with an index.html) of `root` served under `prefix`: the plugin serves it, not the app. */
function isFileIn (root: string, prefix: string, url: string): boolean {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`
  let path = url.split('?', 1)[0]!
  if (!path.startsWith(base) && path !== prefix) return false
  try {
    path = decodeURIComponent(path.slice(base.length))
  } catch {
    return false
  }
  const file = resolve(root, path)
  if (file !== root && !file.startsWith(root + sep)) return false
  const stats = statSync(file, { throwIfNoEntry: false })
  return stats !== undefined && (stats.isFile() || (stats.isDirectory() && existsSync(join(file, 'index.html'))))
}

const NOT_STARTED = '<!doctype html><html><head><meta charset="utf-8"><title>Not running</title></head><body><h1>The app is not running</h1>' +
  '<p>Its start failed or is still under way, or it stopped: the error, if any, is shown over this page. Save a fix: this page reloads once the app serves.</p></body></html>'

/** What decides whether a change restarts the server: the files the app loaded, as far as known. */
interface CodeFiles {
  /**
   * Whether `change` needs a new version: never for what a boot wrote itself (unchanged since);
   * before any version listened, anything under the app's directory may be its code; after, a
   * file the app loaded whose content is not the one the version promoted last (serving, or
   * stopped) loaded, or a new module where the app would load it (new-modules.ts).
   */
  isCode (change: FileChange): boolean
  /** Whether `path` is one the app is known to have loaded (a version that listens, or the last that failed). */
  isKnown (path: string): boolean
  learn (files: ReadonlySet<string>): void
}

function codeFiles (entry: string, generations: Generations): CodeFiles {
  const app = dirname(entry)
  let attempted = new Set<string>()
  const isKnown = (path: string): boolean => generations.latest?.files.has(path) === true || attempted.has(path)
  return {
    isCode (change) {
      if (generations.isOwnWrite(change.path)) return false
      const latest = generations.latest
      if (latest === null) return change.path.startsWith(app + sep)
      if (isKnown(change.path)) return !loadedAsIs(latest, change.path)
      return isNewModule(change, app, latest.files)
    },
    isKnown,
    learn (files) { attempted = new Set(files) }
  }
}

/**
 * Whether `file`'s content is what `generation` loaded: a save that changed nothing, or a change
 * the watcher reports after a boot that had already read it.
 */
function loadedAsIs (generation: Generation, file: string): boolean {
  const hash = generation.hashes.get(file)
  return hash !== undefined && hash === contentHash(file)
}

/** Whether every ES module of the app that `generation` loaded is still as it loaded it, or as it wrote it itself after. */
function isUpToDate (generation: Generation): boolean {
  for (const [file, hash] of generation.hashes) {
    const now = contentHash(file)
    if (now !== hash && (!generation.written.has(file) || now !== generation.written.get(file))) return false
  }
  return true
}

/** Boots at most this many more times when a version comes up with code older than the files'. */
const STALE_REBOOTS = 3

/** A boot started ahead of the first build, which takes it over (once): it is aborted when that build is. */
interface EarlyBoot {
  take (signal: AbortSignal): Promise<Boot> | null
  abort (): void
}

function earlyBoot (generations: Generations): EarlyBoot {
  const controller = new AbortController()
  let boot: Promise<Boot> | null = generations.boot(controller.signal)
  boot.catch(() => {}) // taken and awaited by the first build; a start that fails before it closes everything
  return {
    take (signal) {
      const taken = boot
      boot = null
      if (signal.aborted) controller.abort()
      else signal.addEventListener('abort', () => { controller.abort() }, { once: true })
      return taken
    },
    abort () { controller.abort() }
  }
}

/**
 * The plugin's builder in dev mode: a change to the app's code boots a new generation and, once
 * it listens, sends browsers one reload; a change to the user's own sources runs their builder.
 */
function serverBuilder (generations: Generations, early: EarlyBoot, restarts: Restarts, code: CodeFiles, user: Builder | null, userWatch: readonly string[]): Builder {
  const isUserSource = (path: string): boolean => userWatch.some(dir => path === dir || path.startsWith(dir + sep))
  return {
    name: 'server',
    async build (ctx: BuildContext): Promise<BuildOutcome> {
      const serverChanges = ctx.full ? [] : ctx.changes.filter(change => code.isCode(change))
      const userChanges: FileChange[] = ctx.full ? [...ctx.changes] : ctx.changes.filter(change => isUserSource(change.path))
      let outcome: BuildOutcome = { reload: 'none' }
      if (user !== null && (ctx.full || userChanges.length > 0)) {
        outcome = (await user.build({ ...ctx, changes: userChanges })) ?? {}
        if (outcome.errors !== undefined && outcome.errors.length > 0) return outcome
      }
      if (!ctx.full && serverChanges.length === 0) return outcome
      const over = restarts.changeBoots()
      let booted: Boot
      try {
        booted = await (early.take(ctx.signal) ?? generations.boot(ctx.signal))
        // A save the watcher has not reported yet may have landed after the boot read the file: that
        // version is old already. Its content says so, whenever the watcher's report comes.
        for (let reboots = 0; booted.kind === 'listening' && reboots < STALE_REBOOTS && !isUpToDate(booted.generation); reboots++) {
          generations.discard(booted.generation)
          booted = await generations.boot(ctx.signal)
        }
      } finally {
        over()
      }
      if (booted.kind === 'aborted') return {}
      if (booted.kind === 'failed') {
        code.learn(new Set([...booted.files, ...placeFile(booted.error)]))
        return { errors: [booted.error] } // logged once, as any failed build, with the error
      }
      generations.promote(booted.generation)
      return { reload: 'page' }
    },
    async close () {
      await user?.close?.()
      await generations.close()
    }
  }
}

/** The broken file itself, where the error names it: a CommonJS module that fails leaves no trace in require.cache. */
function placeFile (error: object): string[] {
  const file = (error as { location?: { file?: unknown } }).location?.file
  return typeof file === 'string' ? [file] : []
}

function asBuilder (builder: NonNullable<LiveReloadOptions['builder']>): Builder {
  return typeof builder === 'function' ? { build: builder } : builder
}
