import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import type { DevOptions } from '../../types/dev.js'
import { LOG_LEVELS } from '../dev/messages.js'
import { parseShardWorker, type ShardWorkerArgs } from './shard-worker-args.js'
import { tidy, UsageError } from './usage.js'

/** What the command line asks for, checked. */
export interface CliOptions {
  /** Served in a directory's mode; watched (unless `watch` names others) in proxy mode. */
  readonly dir: string
  readonly port: number
  readonly isStrictPort: boolean
  readonly host: string
  /** Open a browser: true or false when asked, undefined to decide (a terminal with a display, not CI). */
  readonly open: boolean | undefined
  readonly watch: readonly string[]
  readonly build: readonly string[]
  /** A generator's own watch mode, kept running; its rebuilds are the builds (runBuilder). */
  readonly run: string | null
  /** What begins and ends one of `run`'s rebuilds, when its lines are not those runBuilder knows; null: its defaults. */
  readonly runBegins: RegExp | null
  readonly runEnds: RegExp | null
  readonly ignore: ReadonlyArray<string | RegExp>
  readonly isSpa: boolean
  /** The upstream server's origin, in proxy mode. */
  readonly proxy: URL | null
  /** An https:// upstream's certificate is not verified (a self-signed local one). */
  readonly isProxyInsecure: boolean
  /** How long the upstream may leave a request without its headers, or a response without its next bytes (ms); 0: for ever. */
  readonly proxyTimeout: number
  readonly livereload: boolean
  /** Poll (every 500 ms, or every ms given); undefined: where native events do not arrive, as the plugin decides. */
  readonly poll: true | number | undefined
  readonly isQuiet: boolean
  /** Serve HTTPS (HTTP/2, HTTP/1.1 allowed): a certificate made for the command, or the user's files. */
  readonly https: HttpsRequest | null
  /** Print a QR code of the network URL (on a terminal only). */
  readonly qr: boolean
  /** Synchronized browsing: tabs on one page repeat each other's scroll, clicks, forms and navigation. */
  readonly sync: boolean
  /** Places in errors are links that open the editor (the plugin's `openInEditor`); `--no-editor` makes it false. */
  readonly editor: boolean
  /** Patch a page whose HTML alone changed instead of reloading it (`--no-patch`: false). */
  readonly patch: boolean
  /** `dev`: the app's log level (fastify-cli's `-l`); undefined: as the app's `options` say. */
  readonly logLevel: DevOptions['logLevel']
  /** `dev`: the app's logs through pino-pretty (fastify-cli's `-P`). */
  readonly prettyLogs: boolean
}

/** Where the certificate comes from: made for the command (certificate.ts), or the user's own files. */
export type HttpsRequest =
  | { readonly kind: 'made' }
  | { readonly kind: 'files', readonly cert: string, readonly key: string }

export type Command =
  | { readonly kind: 'serve', readonly options: CliOptions }
  /** `dev <entry>`: the app at `options.dir` (its entry module) reloaded on code changes (dev/). */
  | { readonly kind: 'dev', readonly options: CliOptions }
  /** `shard-worker`: builds the shards of sharded builders that have a `queue` (builders/sharded/shard-worker.ts). */
  | { readonly kind: 'shard-worker', readonly options: ShardWorkerArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }

export { UsageError }

export const DEFAULT_PORT = 8080
/** `dev`'s port: fastify-cli's. */
export const DEFAULT_DEV_PORT = 3000
export const DEFAULT_HOST = '127.0.0.1'
/**
 * `--proxy-timeout`: nginx's proxy_read_timeout and Apache's ProxyTimeout, long enough for a
 * development server's first, compiling request (webpack, Next.js, Rails assets: tens of seconds
 * on a large app), short enough that a hung upstream is reported within the minute (ms).
 */
export const DEFAULT_PROXY_TIMEOUT_MS = 60_000
/** The longest `--proxy-timeout` (ms): a day, well within what a timer takes (2^31 - 1 ms). */
const MAX_PROXY_TIMEOUT_MS = 86_400_000
/** A bare `--host`, as in Vite: every interface. */
export const EVERY_INTERFACE = '0.0.0.0'

export const USAGE = `Usage: fastify-livereload [dir] [--port n] [--strict-port] [--host [h]] [--open | --no-open] [--watch dir]... [--build cmd]... [--run cmd [--run-begins re] [--run-ends re]] [--ignore glob]... [--spa] [--proxy url [--proxy-insecure] [--proxy-timeout ms]] [--livereload] [--poll [ms]] [--sync] [--no-patch] [--https] [--cert file --key file] [--no-qr] [--no-editor] [--quiet]
       fastify-livereload shard-worker --redis <url> --worker <module> [--queue name] [--concurrency n] [--stall-timeout ms] [--quiet]
       fastify-livereload dev <entry> [--port n] [--strict-port] [--host [h]] [--open | --no-open] [--watch dir]... [--build cmd]... [--ignore glob]... [--livereload] [--poll [ms]] [--sync] [--no-patch] [--https] [--cert file --key file] [--no-qr] [--no-editor] [--quiet] [-l level] [-P]`

export const HELP = `${USAGE}

Serves dir (default: the current directory) with live reload: every HTML page gets the client,
and browsers reload (or swap stylesheets) when a file changes.

dev <entry> runs a Fastify app (a module whose default export is a plugin, as fastify-cli
generates) on one port that stays up, and restarts it when its code changes: browsers reload
once the new version serves; a version that fails to start shows its error over the page while
the previous one keeps serving (default port ${DEFAULT_DEV_PORT}).

  --port <n>         Port to listen on (default ${DEFAULT_PORT}); a busy one moves to the next free port
  --strict-port      Fail when the port is busy instead of moving on
  --host [h]         Address to listen on (default ${DEFAULT_HOST}); 0.0.0.0 or :: (or --host alone) is
                     every interface, and the network URLs are printed, with a QR code on a terminal
  --open, --no-open  Open a browser (default: open on a terminal with a display, never in CI)
  --watch <dir>      Also watch dir: with --build, the sources; else a change reloads. Repeatable
  --build <cmd>      Run cmd (through the shell) when a watched source changes; repeatable, in order
  --run <cmd>        Keep cmd running: a generator in its own watch mode writing dir (npx @11ty/eleventy
                     --watch); each rebuild it prints is one reload, its errors shown over the page
  --run-begins <re>  The line of --run's command that begins a rebuild, and the one that ends it,
  --run-ends <re>    as regular expressions, where the tool's lines are not those already known
  --ignore <glob>    Leave matching paths alone: a glob, or /regex/; repeatable
  --spa              Answer a page request that matches no file with index.html (history routing)
  --proxy <url>      Forward everything to the server at url, injecting its HTML; watch dir (or
                     the --watch dirs) and reload on changes
  --proxy-insecure   Do not verify an https:// upstream's certificate (a self-signed local one)
  --proxy-timeout <ms>
                     How long the upstream may keep a request waiting for its response, or a
                     response for its next bytes (default ${DEFAULT_PROXY_TIMEOUT_MS}; 0: no limit); then a 504
  --livereload       Also speak LiveReload protocol 7 (the browser extensions) on /livereload
  --poll [ms]        Poll for changes instead of native events (every 500 ms, or every ms given)
  --sync             Synchronized browsing: the tabs on a page (a laptop, a phone) follow each other's
                     scrolling, clicks, form input and navigation
  --no-patch         Always reload the page; by default a change to the HTML of the page shown alone
                     (its body, title or stylesheets, no script) is patched in, keeping scroll,
                     focus and typed input
  --https            Serve HTTPS and HTTP/2 with a certificate for this machine: mkcert's when mkcert is
                     installed, else a self-signed one kept in ~/.cache/fastify-livereload
  --cert <file>      Serve HTTPS with this certificate (PEM), and --key its private key
  --key <file>       The private key (PEM) of --cert
  --no-qr            No QR code of the network URL
  --no-editor        No links from the places in errors to your editor (LAUNCH_EDITOR, VISUAL, EDITOR)
  --quiet            Print only warnings and errors
  -l, --log-level <level>
                     dev: the app's log level (fatal, error, warn, info, debug, trace, silent), over
                     its options; a reply of 500 or more that an error caused is a line on
                     stderr while the app's logger does not log errors
  -P, --pretty-logs  dev: the app's logs through pino-pretty (installed where the app finds it)
  --version          Print the version
  --help             Print this help

shard-worker builds the shards that shardedBuilder({ queue: { redis } }) sends over Redis (BullMQ),
on any machine that sees the site's files at the same paths; start it in the site's directory,
or give the builder's queue name:

  --redis <url>         The Redis of the builder's queue option (redis:// or rediss://)
  --worker <module>     The builder's worker module: the only code this worker runs (jobs name none)
  --queue <name>        The builder's queue.name (default: derived from the directory, as the builder does)
  --concurrency <n>     Shards at a time, each in a worker thread (default: one per core)
  --stall-timeout <ms>  How long a shard may go without word from its worker before another takes it (default 5000)

Ctrl-C stops the server; a shard worker finishes its running shards first.`

/** The flags of the command and of `dev`: each is in USAGE and HELP (test/unit/cli-args.test.ts). */
export const FLAGS = {
  port: { type: 'string' },
  'strict-port': { type: 'boolean' },
  host: { type: 'string' },
  open: { type: 'boolean' },
  'no-open': { type: 'boolean' },
  watch: { type: 'string', multiple: true },
  build: { type: 'string', multiple: true },
  run: { type: 'string' },
  'run-begins': { type: 'string' },
  'run-ends': { type: 'string' },
  ignore: { type: 'string', multiple: true },
  spa: { type: 'boolean' },
  proxy: { type: 'string' },
  'proxy-insecure': { type: 'boolean' },
  'proxy-timeout': { type: 'string' },
  livereload: { type: 'boolean' },
  poll: { type: 'boolean' },
  https: { type: 'boolean' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'no-qr': { type: 'boolean' },
  'no-editor': { type: 'boolean' },
  sync: { type: 'boolean' },
  'no-patch': { type: 'boolean' },
  quiet: { type: 'boolean' },
  'log-level': { type: 'string', short: 'l' },
  'pretty-logs': { type: 'boolean', short: 'P' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' }
} as const

/** The command `argv` (without node and the script) asks for; throws UsageError naming what is wrong. */
export function parseCommand (argv: readonly string[]): Command {
  if (argv[0] === 'shard-worker' && !argv.includes('--help') && !argv.includes('-h')) return { kind: 'shard-worker', options: parseShardWorker(argv.slice(1)) }
  const { args, pollMs, afterPoll } = takeOptionalValues(argv)
  let parsed
  try {
    parsed = parseArgs({ args, options: FLAGS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(tidy((err as Error).message))
  }
  const { values, positionals } = parsed
  if (values.help === true) return { kind: 'help' }
  if (values.version === true) return { kind: 'version' }
  const isDev = argv[0] === 'dev'
  if (isDev) {
    positionals.shift()
    if (positionals.length !== 1) throw new UsageError(`dev takes the app's entry module, one: got ${positionals.length === 0 ? 'none' : positionals.map(p => `"${p}"`).join(', ')}`)
    if (values.spa === true || values.proxy !== undefined) throw new UsageError(`dev serves the app itself: ${values.spa === true ? '--spa' : '--proxy'} does not apply`)
  }
  if (!isDev && (values['log-level'] !== undefined || values['pretty-logs'] === true)) throw new UsageError(`${values['log-level'] !== undefined ? '--log-level' : '--pretty-logs'} goes with dev: the app's logger`)
  if (values['log-level'] !== undefined && !LOG_LEVELS.includes(values['log-level'])) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}: got "${values['log-level']}"`)
  if (values['proxy-timeout'] !== undefined && values.proxy === undefined) throw new UsageError('--proxy-timeout goes with --proxy: the upstream it bounds')
  if (values['proxy-insecure'] === true && values.proxy === undefined) throw new UsageError('--proxy-insecure goes with --proxy: the upstream whose certificate it does not verify')
  if (positionals.length > 1 && afterPoll !== undefined && positionals.includes(afterPoll)) intervalOf(afterPoll)
  if (positionals.length > 1) throw new UsageError(`one directory at most, got ${positionals.map(p => `"${p}"`).join(', ')}`)
  if (values.open === true && values['no-open'] === true) throw new UsageError('--open and --no-open: choose one')
  const build = values.build ?? []
  const watch = values.watch ?? []
  if (build.some(command => command.trim() === '')) throw new UsageError('--build needs a command')
  if (build.length > 0 && watch.length === 0) throw new UsageError('--build needs --watch: the sources whose changes run it')
  const run = values.run ?? null
  if (run !== null) runAlone(run, { isDev, build, watch, proxy: values.proxy })
  const runBegins = runPattern('--run-begins', values['run-begins'], run)
  const runEnds = runPattern('--run-ends', values['run-ends'], run)
  return {
    kind: isDev ? 'dev' : 'serve',
    options: {
      dir: positionals[0] ?? '.',
      port: portOf(values.port, isDev ? DEFAULT_DEV_PORT : DEFAULT_PORT),
      isStrictPort: values['strict-port'] === true,
      host: hostOf(values.host),
      open: values.open === true ? true : values['no-open'] === true ? false : undefined,
      watch,
      build,
      run,
      runBegins,
      runEnds,
      ignore: (values.ignore ?? []).map(ignoreRule),
      isSpa: values.spa === true,
      proxy: values.proxy === undefined ? null : proxyOf(values.proxy),
      isProxyInsecure: values['proxy-insecure'] === true,
      proxyTimeout: proxyTimeoutOf(values['proxy-timeout']),
      livereload: values.livereload === true,
      poll: pollMs ?? (values.poll === true ? true : undefined),
      isQuiet: values.quiet === true,
      https: httpsOf(values.https === true, values.cert, values.key),
      qr: values['no-qr'] !== true,
      editor: values['no-editor'] !== true,
      sync: values.sync === true,
      patch: values['no-patch'] !== true,
      logLevel: values['log-level'] as DevOptions['logLevel'],
      prettyLogs: values['pretty-logs'] === true
    }
  }
}

/** A --run-begins or --run-ends regular expression, given as its source (`^gen: done`); null when not given. */
function runPattern (flag: string, source: string | undefined, run: string | null): RegExp | null {
  if (source === undefined) return null
  if (run === null) throw new UsageError(`${flag} goes with --run: the lines of its command`)
  try {
    return new RegExp(source)
  } catch (err) {
    throw new UsageError(`${flag} takes a regular expression: ${(err as Error).message}`)
  }
}

/** `--run`'s command writes the directory served, and watches its sources itself: nothing else builds, and no other directory is watched for it. */
function runAlone (run: string, { isDev, build, watch, proxy }: { isDev: boolean, build: readonly string[], watch: readonly string[], proxy: string | undefined }): void {
  if (run.trim() === '') throw new UsageError('--run needs a command')
  if (isDev || proxy !== undefined) throw new UsageError(`--run goes with a directory to serve, the one its command writes: ${isDev ? 'dev' : '--proxy'} serves none`)
  if (build.length > 0) throw new UsageError('--run and --build: choose one (--run keeps a generator\'s own watch mode running, --build runs a command per change)')
  if (watch.length > 0) throw new UsageError('--run watches nothing itself: its command watches its own sources; leave out --watch')
}

/**
 * `--poll` takes an optional interval and `--host` an optional address, which parseArgs cannot
 * express: `--poll 500` and `--poll=500` are taken out here, a bare `--poll` left to it; a bare
 * `--host` (last, or before another flag) becomes `--host=0.0.0.0`.
 */
function takeOptionalValues (argv: readonly string[]): { args: string[], pollMs: number | undefined, afterPoll: string | undefined } {
  const args: string[] = []
  let pollMs: number | undefined
  let afterPoll: string | undefined // a word after a bare --poll: the directory, or a mistyped interval
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const inline = /^--poll=(.*)$/.exec(arg)
    if (inline !== null) {
      pollMs = intervalOf(inline[1]!)
      continue
    }
    if (arg === '--poll' && argv[i + 1] !== undefined && /^[-+]?(\d+\.?\d*|\.\d+)$/.test(argv[i + 1]!)) {
      pollMs = intervalOf(argv[++i]!)
      continue
    }
    if (arg === '--poll' && argv[i + 1]?.startsWith('-') === false) afterPoll = argv[i + 1]
    if (arg === '--host' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('-'))) {
      args.push(`--host=${EVERY_INTERFACE}`)
      continue
    }
    if (arg === '--') { // the rest are positionals, whatever they look like
      args.push(...argv.slice(i))
      break
    }
    args.push(arg)
  }
  return { args, pollMs, afterPoll }
}

/** The plugin checks the range (its `poll` option), and says so in the same words as for any app. */
function intervalOf (text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--poll takes an interval in milliseconds, got "${text}"`)
  return Number(text)
}

function portOf (text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port takes a port from 0 to 65535, got "${text}"`)
  return port
}

/**
 * A host name: labels of letters, digits, hyphens (not at either end) and underscores (Docker
 * Compose's service names, which resolvers take), between dots.
 */
const HOST_NAME = /^(?!-)[\w-]{1,63}(?<!-)(\.(?!-)[\w-]{1,63}(?<!-))*\.?$/

function hostOf (text: string | undefined): string {
  if (text === undefined) return DEFAULT_HOST
  if (text.trim() === '' || /[\s/]/.test(text)) throw new UsageError(`--host takes an address or a host name, got "${text}"`)
  const bare = /^\[(.*)\]$/.exec(text)?.[1] ?? text // [::1], as in a URL
  // Digits and dots are an IPv4 address or nothing: the resolver would look 999.1.1.1 up as a name.
  if ((bare !== text || /^[\d.]+$/.test(bare)) && isIP(bare) === 0) throw new UsageError(`--host takes an address or a host name, got "${text}", which is not an IP address`)
  // Anything else is a name: letters, digits and hyphens between dots (a port is --port's).
  if (isIP(bare) === 0 && !HOST_NAME.test(bare)) throw new UsageError(`--host takes an address or a host name, got "${text}"${/:\d+$/.test(text) ? ': the port goes in --port' : ''}`)
  return bare
}

/** `--cert` and `--key` go together, and imply `--https`; the files are read when the server starts (certificate.ts). */
function httpsOf (isAsked: boolean, cert: string | undefined, key: string | undefined): HttpsRequest | null {
  if (cert === undefined && key === undefined) return isAsked ? { kind: 'made' } : null
  if (key === undefined) throw new UsageError('--cert needs --key: the file of the certificate\'s private key')
  if (cert === undefined) throw new UsageError('--key needs --cert: the file of the certificate it belongs to')
  return { kind: 'files', cert, key }
}

function proxyOf (text: string): URL {
  let url: URL
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`)
  } catch {
    throw new UsageError(`--proxy takes a URL such as http://localhost:3000, got "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--proxy takes an http:// or https:// URL, got "${text}"`)
  // Requests keep their own paths: a path here would be silently dropped, so it is refused.
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') throw new UsageError(`--proxy takes a server's origin, such as http://localhost:3000, without a path: got "${text}"`)
  return url
}

function proxyTimeoutOf (text: string | undefined): number {
  if (text === undefined) return DEFAULT_PROXY_TIMEOUT_MS
  const ms = Number(text)
  if (!/^\d+$/.test(text) || ms > MAX_PROXY_TIMEOUT_MS) throw new UsageError(`--proxy-timeout takes milliseconds, up to ${MAX_PROXY_TIMEOUT_MS} (0: no limit), got "${text}"`)
  return ms
}

/** `/regex/flags` is a RegExp; anything else a glob. */
function ignoreRule (text: string): string | RegExp {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(text)
  if (regex === null) {
    if (text.trim() === '') throw new UsageError('--ignore needs a glob or a /regex/')
    return text
  }
  try {
    return new RegExp(regex[1]!, regex[2])
  } catch (err) {
    throw new UsageError(`--ignore: "${text}" is not a valid regular expression (${(err as Error).message})`)
  }
}

/** The exit code of a bad command line. */
const EXIT_USAGE = 2

/** A line of ours on stderr: the command's name, once (our coded errors' messages begin with it already). */
export const said = (message: string): string => `fastify-livereload: ${message.replace(/^fastify-livereload: /, '')}\n`

/** Says what is wrong with the command line, and how it is written; exit code 2. */
export function usageFailure (message: string): void {
  process.stderr.write(`${said(message)}${USAGE}\nRun fastify-livereload --help for every flag.\n`)
  process.exitCode = EXIT_USAGE
}
