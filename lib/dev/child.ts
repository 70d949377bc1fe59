// A generation of the user's app (dev.ts): a child process that imports Fastify ahead (a standby),
// then, asked to boot (the first version's: at once), imports the entry, makes the app as
// fastify-cli does (the entry's default export registered as a plugin, its `options` export given
// to Fastify) and listens on a loopback port. It reports every file it loaded, so that only a
// change to one of them restarts the server. Whatever goes wrong, the supervisor sees a `failed`
// message or this process die.
import { spawnSync } from 'node:child_process'
import * as nodeModule from 'node:module'
import { dirname, resolve, sep } from 'node:path'
import { readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { FastifyInstance } from 'fastify'
import type { BuildErrorInfo } from '../../types/index.js'
import type { ChildMessage, ChildSettings, Kept, SupervisorMessage } from './messages.js'
import { collectKeepers, type Keeper } from './keepers.js'
import { appFileHash, loadedFileHash } from './app-file-hash.js'
import { resolveFrom } from './app-process.js'
import { trackOwnWrites } from './own-writes.js'
import { placeOf } from '../place.js'
import { realPathOf } from '../paths.js'
import { trackRouteErrors } from './route-errors.js'
import { cacheSchemas, type SchemaCache, type SchemaEntries } from './schema-cache.js'
import { schemaStore, type SchemaStore } from './schema-store.js'

// A supervisor that exited without closing us: the send fails (EPIPE), and 'disconnect' ends this process.
const send = (message: ChildMessage): void => { process.send?.(message, undefined, undefined, () => {}) }
const require = nodeModule.createRequire(import.meta.url)
const settings = JSON.parse(process.argv[3]!) as ChildSettings
// @fastify/autoload loads a directory's .ts files only where it sees a TypeScript loader, and it
// does not see tsx given as --import (Node 20): it is told, as its README says to.
if (/\.[cm]?ts$/.test(process.argv[2]!)) process.env.FASTIFY_AUTOLOAD_TYPESCRIPT ??= '1'

// Each module the app loads, by URL, with its content hash (app-file-hash.ts).
const loaded = new Map<string, string | null>()
const report = (url: string, hash: string | null): void => { loaded.set(url, hash) }
/** When the boot began to load the app (Date.now()). */
let bootStartedAt = Infinity
/** Takes the modules loaded that have not been reported yet: none where hooks in this thread report each as it loads. */
let takeReports = (): void => {}
/**
 * The modules the loader read and could not make a module of, where it says so (its cache): the
 * one that does not parse is among them. Elsewhere the hooks saw the modules in the order they
 * were loaded, and it is among the last.
 */
let unparsed = (): string[] => []
// Node ≥ 22.15: module hooks in this thread, which see require() too. Before, hooks run in a
// thread of their own, whose start costs ~25 ms and whose messages ~11 ms more of a boot (Node 20,
// measured): a standby starts it while it waits, but the first version boots at once, so it reads
// the ES modules it loaded from the loader's own cache once it has booted instead (it is forked
// with --expose-internals, spawn-child.ts), hashed then, as of the boot's start. Not a standby's:
// its boot begins a few ms after the save that asked for it, which reads as a change since, and
// every edit booted twice (bench/dev-reload.js, Node 20: 307 ms p50 to serve it against 100).
const { registerHooks } = nodeModule as { registerHooks?: (hooks: { load: (url: string, context: unknown, nextLoad: (url: string, context: unknown) => unknown) => unknown }) => unknown }
if (registerHooks !== undefined) {
  registerHooks({
    load (url, context, nextLoad) {
      report(url, appFileHash(url))
      return nextLoad(url, context)
    }
  })
} else if (settings.bootsAtOnce) {
  const { loadCache } = (require('internal/modules/esm/loader') as { getOrInitializeCascadedLoader: () => { loadCache: Map<string, Record<string, { module?: unknown }>> } }).getOrInitializeCascadedLoader()
  takeReports = () => {
    for (const url of loadCache.keys()) if (!loaded.has(url)) report(url, loadedFileHash(url, bootStartedAt))
  }
  // Every module a failed boot's graph imports is in the cache, the ones after the broken one too.
  unparsed = () => [...loadCache].filter(([, jobs]) => Object.values(jobs).some(job => job.module === undefined)).map(([url]) => url)
} else {
  const { port1, port2 } = new MessageChannel()
  port1.on('message', ([url, hash]: [string, string | null]) => { report(url, hash) })
  port1.unref()
  // The hooks post a module's report before they load it, so every module this thread has seen
  // loaded has its report queued on the port by then: taken at once, with no round trip.
  takeReports = () => {
    for (let received = receiveMessageOnPort(port1); received !== undefined; received = receiveMessageOnPort(port1)) report(...received.message as [string, string | null])
  }
  nodeModule.register(new URL('./loaded-hooks.js', import.meta.url), { data: { port: port2 }, transferList: [port2] })
}

// What the app writes into its own directory as it boots: announced as it happens, hashed once booted.
const writes = trackOwnWrites(realDir(process.argv[2]!), path => { send({ type: 'writing', path }) })

/** The entry's directory by its real path, as the watcher reports paths (and as import.meta.url has it). */
function realDir (entry: string): string {
  return realPathOf(dirname(resolve(entry))) // gone: itself, and the boot will say so
}

// Listening from the start: the schemas come as soon as the process does.
process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'boot') boot(process.argv[2]!).catch(() => {})
  else if (message.type === 'save') save().catch(() => {})
  else if (message.type === 'restore') onRestore?.(message.state)
  else if (schemas === undefined) early = message.entries
  else schemas.warm(message.entries)
})

let app: FastifyInstance | undefined
let schemas: SchemaCache | undefined
/** What the last start compiled, on disk: the first version's schemas, and where each version keeps what it compiled. */
let store: SchemaStore | null = null
/** This version's write of what it compiled, under way or done (it never rejects). */
let storing: Promise<void> | undefined
/** Schemas sent before the standby had its Fastify to compile them with. */
let early: SchemaEntries | undefined
/** What the app keeps across reloads (keep.ts), registered as it boots. */
let keepers = new Map<string, Keeper>()
let onRestore: ((state: Kept) => void) | undefined

async function boot (entry: string): Promise<void> {
  bootStartedAt = Date.now()
  writes.start()
  keepers = collectKeepers()
  try {
    const module = await import(pathToFileURL(entry).href) as { default?: unknown, options?: Record<string, unknown> }
    const plugin = module.default
    if (typeof plugin !== 'function') throw entryError(entry, `${entry} must default-export a Fastify plugin: async (fastify, opts) => { … }`)
    const { default: Fastify } = await import(fastifyUrl(entry))
    // Retired with close(): idle keep-alive connections end at once, requests in flight finish.
    const instance = Fastify({ ...module.options, ...loggerOptions(module.options), forceCloseConnections: 'idle' }) as FastifyInstance
    app = instance
    trackRouteErrors(instance, realDir(entry))
    await instance.register(plugin as never)
    if (keepers.size > 0) await restore(instance)
    // Logged by an app whose logger is on (-l info): not the address to open, the dev server's is.
    await instance.listen({ port: 0, host: '127.0.0.1', listenTextResolver: address => `this version listening at ${address}, behind the dev server, whose address to open is printed apart` })
    hasListened = true
    const files = loadedFiles()
    send({ type: 'listening', port: (instance.server.address() as { port: number }).port, files, hashes: contentHashes(), written: writes.stop(), schemas: schemas?.used() ?? {} })
    if (schemas?.hasCompiled() === true) storing = store?.write(schemas.used()) // in the background, waited for at the end
  } catch (err) {
    const files = loadedFiles() // first: every module's report in, the one that failed to parse among them
    send({ type: 'failed', error: errorOf(err, entry), files, written: writes.stop() })
  }
}

/** An error whose place is the entry itself (its first line), where the fix goes: not this module's frame. */
function entryError (entry: string, message: string): TypeError {
  const error = new TypeError(message)
  error.stack = `TypeError: ${message}\n    at ${resolve(entry)}:1:1`
  return error
}

/**
 * Once the app has booted (every plugin loaded, so every keep() made), what the version serving
 * kept, through the keepers' `restore`, before this one listens. A restore that throws fails
 * the boot, with the name it was restoring: the version serving keeps serving.
 */
async function restore (instance: FastifyInstance): Promise<void> {
  await instance.ready()
  const state = new Promise<Kept>(resolve => { onRestore = resolve })
  send({ type: 'keeping', names: [...keepers.keys()] })
  for (const [name, saved] of Object.entries(await state)) {
    try {
      await keepers.get(name)?.restore(saved)
    } catch (err) {
      if (err instanceof Error) err.message = `restoring what "${name}" kept: ${err.message}`
      throw err
    }
  }
}

/**
 * What the app keeps, saved for the version booting: each name whose `save` throws, or returns
 * what cannot be cloned (a function, a socket), is left out and said why.
 */
async function save (): Promise<void> {
  const state: Record<string, unknown> = {}
  const failures: Record<string, string> = {}
  for (const [name, keeper] of keepers) {
    try {
      const saved = await keeper.save()
      structuredClone(saved) // what IPC's advanced serialization can pass, said here by name
      state[name] = saved
    } catch (err) {
      failures[name] = err instanceof Error ? err.message : String(err)
    }
  }
  send({ type: 'saved', state, failures })
}

/**
 * The app's `logger` with the flags' level and pino-pretty over it (fastify-cli's `-l` and `-P`):
 * a logger the app turned off is turned on by them. Nothing when no flag is set, or when the app
 * gives a logger of its own (`loggerInstance`), which Fastify takes as it is; no pino-pretty over
 * a `stream` of the app's.
 */
function loggerOptions (options: Record<string, unknown> | undefined): { logger?: Record<string, unknown> } {
  const flags = settings.logger
  const own = typeof options?.logger === 'object' && options.logger !== null ? options.logger as Record<string, unknown> : {}
  // A logger of the app's own: Fastify 5's loggerInstance, or a logger given as `logger` (Fastify 4).
  if (flags === null || options?.loggerInstance !== undefined || typeof own.child === 'function') return {}
  return {
    logger: {
      ...own,
      ...(flags.level === undefined ? {} : { level: flags.level }),
      // pino takes a stream or a transport, not both: the app's stream stays.
      ...(flags.pretty === undefined || own.stream !== undefined ? {} : { transport: { target: flags.pretty } })
    }
  }
}

/** Fastify as the app resolves it (its own copy, when it has one), else ours. */
function fastifyUrl (entry: string): string {
  return pathToFileURL(resolveFrom(entry, 'fastify') ?? require.resolve('fastify')).href
}

/** Every file loaded so far: ES modules (the hooks' reports) and CommonJS ones. */
function loadedFiles (): string[] {
  takeReports()
  const files = new Set(Object.keys(require.cache))
  for (const url of loaded.keys()) if (url.startsWith('file:')) files.add(fileURLToPath(url))
  return [...files]
}

/** The content hashes of the app's ES modules by file path, as the hooks read them (after loadedFiles: all in). */
function contentHashes (): Record<string, string> {
  const hashes: Record<string, string> = {}
  for (const [url, hash] of loaded) if (hash !== null) hashes[fileURLToPath(url)] = hash
  return hashes
}

type ShownError = BuildErrorInfo & { location?: unknown }

/** What the overlay shows of a failed boot: the message, and the place in the app's own code with a frame. */
function errorOf (err: unknown, entry: string): ShownError {
  const error = err instanceof Error ? err : new Error(String(err))
  const place = transformPlace(error.message) ?? placeOf(error, dirname(entry)) ?? (error instanceof SyntaxError ? syntaxErrorPlace(entry) : null)
  return at({ message: messageOf(error), stack: error.stack }, place)
}

/**
 * The error's message, without what @fastify/autoload adds to a SyntaxError's: " at " and the
 * stack's first line, a `file:line` for a CommonJS module (kept), the message again for an ES
 * module ("Unexpected token '}' at SyntaxError: Unexpected token '}'").
 */
function messageOf (error: Error): string {
  const added = ` at ${error.stack?.split('\n', 1)[0]}`
  return added.startsWith(` at ${error.name}: `) && error.message.endsWith(added) ? error.message.slice(0, -added.length) : error.message
}

/** `info` with the place, and the text of its line, where the editor and the overlay's frame find them. */
function at (info: ShownError, place: ReturnType<typeof placeOf>): ShownError {
  if (place === null) return info
  let lineText: string | undefined
  try {
    lineText = readFileSync(place.file, 'utf8').split(/\r?\n/)[place.line - 1]
  } catch {}
  return { ...info, location: { file: place.file, line: place.line, column: place.column - 1, lineText } }
}

let hasListened = false
/** The process ends at the supervisor's word (retired, or the supervisor gone): nothing to report. */
let isEnding = false
/** An exception that nothing handles: the process is about to end on it ('exit' follows). */
let fatal: { error: unknown, origin: string } | undefined

// When the app ends the process itself, the supervisor is told why: it shows the error, and starts
// the code again when it was serving. The monitor only watches; the app's own handlers still decide.
process.on('uncaughtExceptionMonitor', (error, origin) => {
  if (process.listenerCount('uncaughtException') === 0 && !process.hasUncaughtExceptionCaptureCallback()) fatal = { error, origin }
})
process.on('exit', code => {
  if (!isEnding) send({ type: 'stopped', error: stopError(process.argv[2]!, code) })
})

/** Why the app ended the process: the exception that nothing handled, else the exit and, when the app's code called it, where. */
function stopError (entry: string, code: number): ShownError {
  const when = hasListened ? 'while serving' : 'before it listened'
  if (fatal !== undefined) {
    const kind = fatal.origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'
    return { ...errorOf(fatal.error, entry), message: `${kind} ${when}: ${String(fatal.error)}` }
  }
  // Emitted by process.exit(), this listener has the app's call below it on the stack, whatever
  // the app set Error.stackTraceLimit to (0 or 1 in some production setups).
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 50
  const here = new Error('exit')
  Error.stackTraceLimit = limit
  return at({ message: `the app's process exited (${code}) ${when}` }, placeOf(here, dirname(entry), { anyFrame: false }))
}

/**
 * A TypeScript module that does not parse: tsx's esbuild names the place in its message
 * (`routes/a.ts:3:0: ERROR: …`, the column from 0, the path from the working directory); its
 * stack has only esbuild's own frames, and the error's `errors` do not survive the loader thread.
 */
function transformPlace (message: string): ReturnType<typeof placeOf> {
  const found = /^(.+?):(\d+):(\d+): ERROR: /m.exec(message)
  return found === null ? null : { file: resolve(found[1]!), line: Number(found[2]), column: Number(found[3]) + 1 }
}

/** Files the loader checks at most, looking for the one that does not parse. */
const MAX_CHECKED = 20

/**
 * Where an ES module that does not parse went wrong: its SyntaxError names no file. The module
 * is one of the app's files loaded last (the hooks saw it before it was parsed); `node --check`
 * of each, newest first, says which, with V8's `file:line` and caret.
 */
function syntaxErrorPlace (entry: string): ReturnType<typeof placeOf> {
  const app = dirname(entry) + sep
  takeReports()
  const candidates = [...new Set([...unparsed(), ...[...loaded.keys()].reverse()])].filter(url => url.startsWith('file:')).map(url => fileURLToPath(url))
    .filter(file => file.startsWith(app) && !file.includes(`${sep}node_modules${sep}`) && /\.[cm]?js$/.test(file)).slice(0, MAX_CHECKED)
  for (const file of candidates) {
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' })
    if (check.status !== 0) return placeOf(Object.assign(new Error('check'), { stack: check.stderr }), dirname(entry))
  }
  return null
}

// Closed gracefully: requests in flight finish, then the process ends.
process.on('SIGTERM', () => {
  isEnding = true
  const closing = Promise.all([app?.close(), storing]) // the store written whole, no temporary file left
  closing.finally(() => process.exit(0)).catch(() => {})
})
process.on('disconnect', () => { isEnding = true; process.exit(0) }) // the supervisor is gone: never linger

// A standby: the app's Fastify (and what it loads) imported before it is needed. An app made and
// dropped loads what Fastify loads when an app is made, and the schema compilers (Ajv,
// fast-json-stringify) are loaded too, for the schemas an edit changes: ~50 ms of a 50-route app's
// ~210 ms boot, measured. The first version boots at once: it makes no app to drop, and loads the
// compilers only if a schema is not in what the last start kept.
try {
  const url = fastifyUrl(process.argv[2]!)
  const { default: Fastify } = await import(url) as { default: () => unknown }
  schemas = cacheSchemas(fileURLToPath(url))
  store = schemaStore(resolve(process.argv[2]!), schemas.compilers)
  // The first version's from the last start; the next ones' from the version before (the supervisor's).
  const ahead = early ?? (settings.bootsAtOnce ? store?.read() : undefined)
  if (ahead !== undefined) schemas.warm(ahead)
  if (!settings.bootsAtOnce) {
    schemas.loadCompilers()
    Fastify()
  }
} catch {} // the boot will say what is wrong
send({ type: 'standby' })
// The first version's child boots now, on its own word: the supervisor, busy with its own start, would answer `standby` late.
if (settings.bootsAtOnce) boot(process.argv[2]!).catch(() => {})
