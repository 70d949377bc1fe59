// What the command runs once its command line is read (main.ts): the server, the dev server or a
// shard worker. Built as a CommonJS bundle of its own (dist/cli-run.cjs), which main.ts runs
// through V8's code cache (code-cache.ts).
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { type CliOptions, type Command, usageFailure, UsageError } from './args.js'
import type { Certificate } from './certificate.js'
import { isWildcard, listen, type Listening } from './listen.js'
import { printQr } from './qr.js'
import { createReport, type Report } from './report.js'
import type { ShardWorkerArgs } from './shard-worker-args.js'
import { canOpenInotify, forgetInotifyAnswer } from '../watch/inotify-limits.js'
import type { EarlyChild } from '../dev/spawn-child.js'

/** Ctrl-C closes the server within this long (ms); past it, the process exits all the same. */
const CLOSE_GRACE_MS = 1000

/** Runs `command` until it stops (Ctrl-C) or fails (`process.exitCode` says how); `dev` with its first child forked already, if it is. */
export async function run (command: Extract<Command, { kind: 'serve' | 'dev' | 'shard-worker' }>, early: EarlyChild | null = null): Promise<void> {
  if (command.kind === 'shard-worker') await runShardWorkerCommand(command.options)
  else await serve(command.options, command.kind === 'dev', early)
}

async function serve (options: CliOptions, isDev: boolean, early: EarlyChild | null): Promise<void> {
  let app: FastifyInstance | undefined
  const report = createReport({ out: process.stdout, isQuiet: options.isQuiet, browsers: () => app?.liveReload.clients ?? 0 })
  const listenOn = async (server: FastifyInstance): Promise<Listening> => await listen(server, options.host, options.port, options.isStrictPort, options.https === null ? 'http' : 'https')
  let listening: Listening
  let certificate: Certificate | null = null
  // The watcher asks whether an inotify instance can be opened before its first subscription (a
  // worker thread, 25–65 ms): asked now, the answer comes while Fastify and the plugin load.
  if (options.poll === undefined) canOpenInotify(resolve(options.dir)) // never rejects
  try {
    if (options.https !== null) {
      const { certificateFor } = await import('./certificate.js') // crypto and files: only for HTTPS
      certificate = await certificateFor(options.https, options.host)
    }
    if (isDev) {
      const { devServer } = await import('./dev.js') // the dev server: not for --help or --version
      ;({ app, listening } = await devServer(options, report, listenOn, certificate, early))
    } else {
      const { createApp } = await import('./serve.js') // Fastify and the plugin: not for --help or --version
      app = await createApp(options, report, certificate)
      listening = await listenOn(app).catch(async (err: unknown) => { await app?.close(); throw err })
    }
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(err.message)
    const code = (err as { code?: string }).code
    if (code === 'FST_LIVERELOAD_INVALID_OPTION') return usageFailure((err as Error).message)
    if (code === 'FST_LIVERELOAD_MISSING_DEPENDENCY') report.error((err as Error).message) // dev's -P without pino-pretty
    else if (code === 'EADDRINUSE') report.error(`port ${options.port} is in use${options.isStrictPort ? '' : ' (and the ports after it)'}: choose another with --port, or 0 for any free port`)
    else throw err
    process.exitCode = 1
    return
  }
  forgetInotifyAnswer() // asked for this start: a directory that appears later asks afresh
  stopOnSignals(app, report)
  if (listening.movedFrom !== null) report.line(`port ${listening.movedFrom} is in use: using ${listening.port}`)
  const what = isDev ? `${options.dir}, restarted on code changes,` : options.proxy === null ? options.dir : options.proxy.origin
  report.line(`${isDev ? 'running' : options.proxy === null ? 'serving' : 'proxying'} ${what} with live reload at ${report.strong(listening.url)}`)
  for (const url of listening.networkUrls) report.line(`  on your network: ${report.strong(url)}`)
  await printQr(listening.networkUrls, { out: process.stdout, qr: options.qr, isQuiet: options.isQuiet })
  for (const note of certificate?.notes ?? []) report.line(note)
  if (certificate?.warning != null) report.warn(certificate.warning)
  if (isWildcard(options.host)) report.warn(`listening on every interface (${options.host}): anyone on your network can read what is served`)
  // The first build runs now that the server listens: a page opened meanwhile reloads once it ends.
  if (!isDev && options.build.length > 0) app.liveReload.build({ full: true }).catch(() => {}) // its outcome is in the log
  if (shouldOpen(options.open)) await openBrowser(listening.url, report)
}

/** The first Ctrl-C (or SIGTERM) closes the server and exits 0; a second exits at once. */
function stopOnSignals (app: FastifyInstance, report: Report): void {
  let isStopping = false
  const stop = (): void => {
    if (isStopping) process.exit(130)
    isStopping = true
    report.line('stopping')
    setTimeout(() => process.exit(0), CLOSE_GRACE_MS).unref()
    app.close().then(() => process.exit(0), (err: unknown) => {
      report.error(`closing failed: ${(err as Error).message}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** Asked for, or not refused on a terminal with a display, never in CI. */
function shouldOpen (asked: boolean | undefined): boolean {
  if (asked !== undefined) return asked
  const env = process.env
  if (env.CI !== undefined && env.CI !== 'false') return false
  const hasDisplay = process.platform !== 'linux' || env.DISPLAY !== undefined || env.WAYLAND_DISPLAY !== undefined
  return process.stdout.isTTY && hasDisplay
}

async function openBrowser (url: string, report: Report): Promise<void> {
  try {
    // required, not imported: this module is CommonJS once built, where import() of an ES module
    // would give its namespace as the default export (Node ≥ 20.19 requires an ES module).
    const { default: open } = createRequire(import.meta.url)('open') as typeof import('open')
    const child = await open(url)
    // The launcher (xdg-open, open, start) exits at once; a code other than 0 says it found no browser.
    child.once('exit', code => { if (code !== 0 && code !== null) report.warn(`could not open a browser (${child.spawnfile} exited with code ${code}): open ${url} yourself`) })
  } catch (err) {
    report.warn(`could not open a browser (${(err as Error).message}): open ${url} yourself`)
  }
}

async function runShardWorkerCommand (options: ShardWorkerArgs): Promise<void> {
  const report = createReport({ out: process.stdout, isQuiet: options.isQuiet, browsers: () => 0 })
  const { shardWorker } = await import('./shard-worker.js') // BullMQ and the pool: only for this command
  await shardWorker(options, report)
}
