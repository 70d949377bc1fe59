// The public contract of fastify-livereload, written by hand. lib/ imports its public types
// from here, so the implementation cannot drift from what users compile against.
import type { FastifyError, FastifyErrorConstructor } from '@fastify/error'
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyStaticOptions } from '@fastify/static'

/** One error of a failed build, as the browser overlay shows it. */
export interface BuildErrorInfo {
  message: string
  /** Source file, relative to the process working directory when it lies inside it; else from `~` in the home directory. */
  file?: string
  line?: number
  column?: number
  /** A code frame: a few lines of source around the error. */
  frame?: string
  stack?: string
}

/** One file event, after normalisation. */
export interface FileChange {
  /** Absolute path. */
  path: string
  type: 'create' | 'update' | 'delete'
}

/** Protocol version spoken on the channel; `hello` carries it. */
export type ProtocolVersion = 1

/**
 * What one tab did that the other tabs on the same page repeat (the `sync` option). `target` is
 * a CSS selector the sending tab made for the element, always `#id` or `:root` followed by
 * `> tag:nth-of-type(n)` steps (the server relays no other); `x` and `y` are fractions (0 to 1) of
 * the scrollable range; `element` is -1 for the window, else an index into `scrollElements`;
 * `url` is a path on the same origin (`/a?b#c`).
 */
export type SyncEvent =
  | { kind: 'scroll', element: number, x: number, y: number }
  | { kind: 'click', target: string }
  | { kind: 'input', target: string, value: string }
  | { kind: 'select', target: string, values: string[] }
  | { kind: 'toggle', target: string, checked: boolean }
  | { kind: 'submit', target: string }
  | { kind: 'navigate', url: string }

/** The `sync` option as the server resolved it, and as `hello` tells it to the tabs. */
export interface SyncSettings {
  scroll: boolean
  clicks: boolean
  forms: boolean
  navigation: boolean
  scrollElements: string[]
}

/** Messages from the server to the browser (JSON text frames on the WebSocket). */
export type ServerMessage =
  | { type: 'hello', protocol: ProtocolVersion, instance: string, sync?: SyncSettings }
  | { type: 'building', changes: string[] }
  | { type: 'reload', paths: string[] }
  /**
   * Only stylesheets changed: swap them. `paths` are URL paths, or with `files: true` the changed
   * files' own paths (relative to the server's working directory, encoded as URL paths are),
   * for stylesheets whose URL the server does not know (under `watch`, with no builder): the
   * client swaps the stylesheets whose URL ends with the most of a file's names, and reloads the
   * page when none matches.
   */
  | { type: 'css', paths: string[], files?: boolean }
  | { type: 'img', paths: string[] }
  | { type: 'error', errors: BuildErrorInfo[] }
  | { type: 'clear' }
  /** Another tab on the page at `path` did `event` (the `sync` option): this tab repeats it. */
  | { type: 'sync', path: string, event: SyncEvent }

/**
 * What a tab sends, with the `sync` option on (else nothing the server acts on): `join` says
 * which page it shows (again whenever that changes), `sync` what the user did on the page at
 * `path` (for `navigate`, the page the tab left).
 */
export type ClientMessage =
  | { type: 'join', path: string }
  | { type: 'sync', path: string, event: SyncEvent }

/** A message an app may broadcast itself; `hello` belongs to the handshake, `sync` to the tabs. */
export type BroadcastMessage = Exclude<ServerMessage, { type: 'hello' | 'sync' }>

/** What a builder is given for one build. */
export interface BuildContext {
  /** The source changes since the last build; empty for a full build. */
  changes: FileChange[]
  /** True for the start-up build and for `fastify.liveReload.build({ full: true })`. */
  full: boolean
  /** Aborted when the server closes, or when a newer change supersedes this build (`supersede`). */
  signal: AbortSignal
  log: FastifyBaseLogger
}

/** What a builder may return; returning nothing means success with `reload: 'auto'`. */
export interface BuildOutcome {
  /**
   * `'auto'`: decided from `outputs`, else from the output-directory changes the build caused.
   * `'page'`: reload; `'css'`: swap stylesheets; `'none'`: send nothing.
   * @default 'auto'
   */
  reload?: 'auto' | 'page' | 'css' | 'none'
  /**
   * Absolute paths of the output files written, if the builder knows them. Those that `ignore`
   * matches are left out, and source maps (`.map`) never decide between `css` and `reload`.
   */
  outputs?: string[]
  /** A non-empty list fails the build, like throwing does. */
  errors?: Array<BuildErrorInfo | Error | string>
}

export type BuildFunction = (ctx: BuildContext) => Promise<BuildOutcome | void> | BuildOutcome | void

export interface Builder {
  /** Shown in logs. */
  name?: string
  build: BuildFunction
  /** Called once when the server closes. */
  close? (): Promise<void> | void
  /**
   * For a builder that watches its sources itself (a generator's own watch mode: `runBuilder`).
   * Called once, when the plugin starts (in a cluster: each time this process becomes the
   * leader), before any build; it calls `ctx.rebuilding()` when its generator begins a rebuild,
   * and the plugin then runs `build(ctx)`, which resolves when that rebuild has ended.
   */
  watch? (ctx: WatchContext): void
}

/** What a builder that watches on its own is given (`Builder.watch`). */
export interface WatchContext {
  /** The generator began a rebuild: a build runs (after the running one), and `build(ctx)` waits for the rebuild's end. */
  rebuilding (): void
  /** Aborted when the plugin closes (in a cluster: when this process stops leading): stop the generator. */
  signal: AbortSignal
  log: FastifyBaseLogger
}

/** The result of one build, as `fastify.liveReload.build()` resolves and `onBuildEnd` receives it. */
export interface BuildReport {
  ok: boolean
  full: boolean
  /** Source paths that caused the build, relative to the working directory when inside it; else from `~` in the home directory. */
  changes: string[]
  /** URL paths of the outputs that changed. */
  outputs: string[]
  errors: BuildErrorInfo[]
  /** Milliseconds from the start of the build to its end. */
  duration: number
  /**
   * The message the build ended in: `'none'` when its output was unchanged, which sends no
   * reload, swap or error (a `clear` then ends the browsers' building notice).
   */
  sent: 'reload' | 'css' | 'img' | 'error' | 'clear' | 'none'
}

/**
 * Checked when the builder is made: a wrong type, a value out of range or an unknown key throws
 * `FST_LIVERELOAD_INVALID_OPTION` naming it (`commandBuilder.timeout`).
 */
export interface CommandBuilderOptions {
  /** Working directory of the commands. @default process.cwd() */
  cwd?: string
  /** Environment of the commands, merged over `process.env`: string values; `undefined` unsets one. @default {} */
  env?: Record<string, string | undefined>
  /**
   * Milliseconds after which a command's whole process group is killed and the build fails; at
   * most 2147483647, the longest delay Node.js timers take.
   * @default 600000
   */
  timeout?: number
  /** Bytes of output kept (the tail) for the error message. @default 65536 */
  maxOutput?: number
}

/**
 * Checked when the builder is made: a wrong type, a value out of range or an unknown key throws
 * `FST_LIVERELOAD_INVALID_OPTION` naming it (`runBuilder.ends`).
 */
export interface RunBuilderOptions {
  /** Working directory of the command. @default process.cwd() */
  cwd?: string
  /** Environment of the command, merged over `process.env`: string values; `undefined` unsets one. @default {} */
  env?: Record<string, string | undefined>
  /**
   * A line of the command's output (colours stripped) that begins a rebuild. The default knows
   * Eleventy, Hugo, tsc, esbuild, Vite and Jekyll (docs/builders.md).
   */
  begins?: RegExp
  /** A line that ends a rebuild: its writes are done. The default knows the same tools. */
  ends?: RegExp
  /** A line, within a rebuild, that says it failed: the rebuild's output goes to the overlay. */
  errors?: RegExp
  /**
   * Milliseconds a rebuild may run without a line that ends it; then it fails, naming the wait
   * (a tool whose last line `ends` does not match). At most 2147483647.
   * @default 120000
   */
  timeout?: number
  /** Bytes of a rebuild's output kept (the tail) for its error message. @default 65536 */
  maxOutput?: number
}

/**
 * Checked when the builder is made: a wrong type, a value out of range or an unknown key throws
 * `FST_LIVERELOAD_INVALID_OPTION` naming it (`isolatedBuilder.execArgv`).
 */
export interface IsolatedBuilderOptions {
  /**
   * Milliseconds after which the child and its process group are killed and the build fails;
   * at most 2147483647, the longest delay Node.js timers take.
   * @default 600000
   */
  timeout?: number
  /** Heap limit of the child in MB (`--max-old-space-size`). */
  maxMemory?: number
  /** Extra Node.js flags for the child, an array of strings. @default [] */
  execArgv?: string[]
  /** Environment of the child, merged over `process.env`: string values; `undefined` unsets one. @default {} */
  env?: Record<string, string | undefined>
}

/** A source file as `shardOf` sees it. */
export interface ShardSource {
  /** Absolute path. */
  path: string
  /** Path relative to the source directory it was found in, with `/` separators. */
  relative: string
  /** The absolute source directory it was found in. */
  source: string
}

/**
 * How source files are partitioned into shards: `'directory'` by top-level directory below
 * the source (files at the top level share the shard `'.'`), `'hash'` by a stable hash of the
 * relative path into `shards` shards, or a function returning the shard key.
 */
export type ShardOf = 'directory' | 'hash' | ((file: ShardSource) => string)

/** What the worker module's `buildShard` receives for one shard. */
export interface ShardInput<WorkerData = unknown> {
  /** The shard key. */
  key: string
  /** Every source file of the shard (absolute paths, sorted). */
  files: string[]
  /** The shard's files that changed since its last build; empty when `full`. */
  changes: FileChange[]
  /**
   * True when the whole shard must be built: its first build, a change to a shared input or to
   * the worker module, or outputs of its last build that have gone missing.
   */
  full: boolean
  /** The builder's `workerData` option, as it is. */
  workerData: WorkerData
}

/** What `buildShard` returns: the shard's outputs and its data for the merge step. */
export interface ShardOutput<Data = unknown> {
  /** Absolute paths of every output file the shard wrote (on a partial build too: all of them). */
  outputs?: string[]
  /** Data for `merge` (a page list, search entries…): structured-cloneable and JSON-serialisable, it is cached on disk. */
  data?: Data
  /** A non-empty list fails the shard (and the build), like throwing does. */
  errors?: Array<BuildErrorInfo | Error | string>
}

/** The signature of the worker module's `buildShard` export. */
export type BuildShard<Data = unknown, WorkerData = unknown> =
  (input: ShardInput<WorkerData>) => Promise<ShardOutput<Data> | void> | ShardOutput<Data> | void

/** One shard as the merge step sees it: rebuilt now, or as cached from an earlier build. */
export interface ShardResult<Data = unknown> {
  key: string
  /** Absolute source paths, sorted. */
  files: string[]
  outputs: string[]
  data: Data | undefined
  /** True when the shard was built by this build, false when its cached result was reused. */
  rebuilt: boolean
}

/** What the merge step is given besides the shards. */
export interface MergeContext {
  /** Keys of the shards built by this build. */
  rebuilt: string[]
  /** Keys of the shards whose files all went away since the last build. */
  removed: string[]
  signal: AbortSignal
  log: FastifyBaseLogger
}

/** What the merge step may return; returning nothing means success. */
export interface MergeOutcome {
  /** Absolute paths of the files the merge wrote. */
  outputs?: string[]
  /** A non-empty list fails the build, like throwing does. */
  errors?: Array<BuildErrorInfo | Error | string>
}

export interface ShardedBuilderOptions<Data = unknown, WorkerData = unknown> {
  /** The worker module (path or file URL): it exports `buildShard` (a {@link BuildShard}). */
  worker: string | URL
  /** Directories whose files are the inputs (usually the same as the plugin's `watch`). */
  sources: string | string[]
  /**
   * Globs (picomatch, relative to each source directory) that select the input files.
   * @default '**'
   */
  include?: string | string[]
  /**
   * Globs (relative to each source directory) left out, on top of the defaults: `.git`,
   * `node_modules` and editor swap and backup files.
   * @default []
   */
  ignore?: string[]
  /**
   * Inputs every shard depends on (layouts, config): paths or globs relative to `cwd`. A change
   * to one rebuilds every shard; they are never inputs of a shard themselves.
   * @default []
   */
  shared?: string | string[]
  /** @default 'directory' */
  shardOf?: ShardOf
  /**
   * Number of shards for `shardOf: 'hash'`.
   * @default 16
   */
  shards?: number
  /** Runs on the main thread after the shards, with every shard's result sorted by key. */
  merge?: (shards: Array<ShardResult<Data>>, ctx: MergeContext) => Promise<MergeOutcome | void> | MergeOutcome | void
  /**
   * Worker threads building shards at the same time.
   * @default os.availableParallelism()
   */
  concurrency?: number
  /** Milliseconds after which a shard's worker is terminated and the shard fails; at most 2147483647. @default 60000 */
  timeout?: number
  /**
   * Directory of the on-disk shard cache, or `false` to keep it in memory only (every start
   * then builds every shard).
   * @default 'node_modules/.cache/fastify-livereload/sharded-<id>' below `cwd`, `<id>` derived from `worker` and `sources`
   */
  cache?: string | false
  /**
   * Delete output files that a shard (or the merge) wrote before and no longer writes: pages
   * whose source was deleted, shards whose files all went away.
   * @default true
   */
  prune?: boolean
  /** Passed to every `buildShard` call (structured-cloneable); part of the cache key. */
  workerData?: WorkerData
  /** Node.js flags of the worker threads. @default process.execArgv */
  execArgv?: string[]
  /** Heap limit of each worker thread in MB: a shard that exceeds it fails, its thread is replaced. */
  maxMemory?: number
  /** Directory that relative `sources`, `shared`, `cache` and `output` resolve against. @default process.cwd() */
  cwd?: string
  /**
   * The directory the shards and the merge write into (usually the plugin's `root`). A shard that
   * reports an output outside it fails, and pruning never deletes outside it. Required with
   * `queue`, whose replies come from whoever can write to that Redis.
   */
  output?: string
  /**
   * Send the shards to shard workers over a BullMQ queue in Redis instead of the local worker
   * threads (needs the `bullmq` package). Workers run `fastify-livereload shard-worker` on any
   * machine that sees the same files at the same paths. Needs `output`.
   */
  queue?: ShardQueueOptions
}

/**
 * ioredis connection options (`new Redis(options)`), the common ones named; the rest pass through.
 * Declared here rather than imported, so that apps without ioredis compile.
 */
export interface RedisConnectionOptions {
  host?: string
  port?: number
  /** A Unix socket instead of host and port. */
  path?: string
  username?: string
  password?: string
  db?: number
  tls?: object
  [option: string]: unknown
}

/** Where the sharded builder's queue lives and how long it waits for workers. */
export interface ShardQueueOptions {
  /** Redis: a URL (`redis://host:6379`) or ioredis options. */
  redis: string | RedisConnectionOptions
  /**
   * The BullMQ queue's name: workers give the same one (`--queue`).
   * @default 'livereload-shards-<id>', `<id>` derived from `cwd`
   */
  name?: string
  /**
   * Milliseconds a build waits for at least one connected shard worker (before it sends its
   * shards, and whenever none is left while they run) before it fails.
   * @default 10000
   */
  workerTimeout?: number
}

/** What `runShardWorker()` takes; `fastify-livereload shard-worker` takes the same as flags. */
export interface ShardWorkerOptions {
  /** Redis: a URL (`redis://host:6379`) or ioredis options. */
  redis: string | RedisConnectionOptions
  /**
   * The builder's worker module (path or file URL): the only code this worker runs. A job names
   * its builder's module only to be refused when it is another one; it never chooses the code.
   */
  worker: string | URL
  /**
   * The queue to take shards from: the builder's `queue.name`.
   * @default 'livereload-shards-<id>', `<id>` derived from `cwd`, as the builder derives it
   */
  name?: string
  /**
   * Shards built at the same time, each in its own worker thread.
   * @default os.availableParallelism()
   */
  concurrency?: number
  /** Node.js flags of its worker threads. @default process.execArgv */
  execArgv?: string[]
  /**
   * Milliseconds a running shard may go without word from this worker before another worker
   * takes it (this one killed, its machine lost); it says so every half of that, from its main
   * thread (shards run in worker threads). At least 500. @default 5000
   */
  stallTimeout?: number
  /** The directory the default queue name is derived from, and `worker` resolves against. @default process.cwd() */
  cwd?: string
  /** Where the worker logs each shard and its connection's troubles. @default a silent logger */
  log?: FastifyBaseLogger
}

/** A running shard worker. */
export interface ShardWorker {
  /** The queue it takes shards from. */
  readonly name: string
  /**
   * Stops taking shards, waits for the ones running to finish (their results are delivered),
   * then disconnects. Idempotent.
   */
  close (): Promise<void>
}

/**
 * Runs shell commands in order, each after the previous one succeeded. A non-zero exit fails
 * the build with the tail of its output; timeout and abort kill the whole process group. A
 * command ends when it exits: what it left running in its process group (`cmd &`) is killed
 * then; a process that left the group (`setsid`) is not, and holds no build past 2 s.
 */
export declare function commandBuilder (command: string | string[], options?: CommandBuilderOptions): Builder

/**
 * Runs a generator's own watch mode (`npx @11ty/eleventy --watch`) for as long as the server
 * runs: started with the plugin, started again when it dies, its process group killed on close.
 * Each rebuild its output frames (`begins` … `ends`) is one build: one message once its writes
 * are in, its errors in the overlay until its next good rebuild. No `watch` option is needed:
 * the generator watches its sources.
 */
export declare function runBuilder (command: string, options?: RunBuilderOptions): Builder

/**
 * Runs a builder module (default export: a `Builder` or a bare build function) in a child
 * process that stays warm between builds: a crash, `process.exit`, an out-of-memory or a hang
 * fails that build, never the server. The child leads a process group: a timeout, close or
 * crash takes the processes its builder started with it (unless they detached).
 */
export declare function isolatedBuilder (modulePath: string | URL, options?: IsolatedBuilderOptions): Builder

/**
 * Partitions the source files into shards, builds the shards whose inputs changed in a pool
 * of worker threads (piscina), then runs `merge` on the main thread. Shard fingerprints
 * (content hashes) are cached on disk: a restart with no edits builds no shard.
 */
export declare function shardedBuilder<Data = unknown, WorkerData = unknown> (options: ShardedBuilderOptions<Data, WorkerData>): Builder

/**
 * Takes the shards of sharded builders that have a `queue` from Redis and builds them in worker
 * threads, as the local pool does; resolves once connected. Needs the `bullmq` package.
 */
export declare function runShardWorker (options: ShardWorkerOptions): Promise<ShardWorker>

/** Snapshot returned by `fastify.liveReload.stats()` and `GET {path}/status`. */
export interface LiveReloadStats {
  /** Id of this server start; browsers reload when it changes. */
  instance: string
  /** Connected browsers. */
  clients: number
  /** Messages broadcast since start (`hello` excluded). */
  messages: number
  /** Paths watched, relative to the process working directory when inside it; else from `~` in the home directory. */
  watched: string[]
  /** Builds finished since start, failed ones included. */
  builds: number
  failures: number
  /** Whether a build is running now. */
  building: boolean
  /** Whether automatic builds are paused because the builder keeps triggering itself. */
  paused: boolean
  /** Milliseconds the last build took, or null before the first. */
  lastDuration: number | null
  /** The errors of the last build if it failed, else null. */
  lastErrors: BuildErrorInfo[] | null
  /** With the `cluster` option: this process's place in it (`clients` above are this process's). */
  cluster?: ClusterStats
}

/** A process of a cluster (the `cluster` option), as `stats()` and `GET {path}/status` show it. */
export interface ClusterStats {
  /** This process: `host:pid:random`. */
  id: string
  /** The leader watches and builds; followers serve what it publishes. */
  role: 'leader' | 'follower'
  /** The leader's id, or null when unknown (Redis unreachable, or a takeover under way). */
  leader: string | null
  /** Browsers connected to every process of the cluster, as of the last heartbeat. */
  clients: number
  /** Live processes of the cluster, as of the last heartbeat. */
  processes: number
  /**
   * Whether this process can use Redis now: connected, and running the cluster's commands
   * (false while Redis is unreachable, or refuses one of them for want of a permission: NOPERM).
   */
  redis: boolean
}

/**
 * Several processes serving one site (`node:cluster`, PM2 cluster mode, replicas on one bind
 * mount), coordinated through one Redis: one leader watches and builds, every process serves
 * its own browsers. See docs/cluster.md.
 */
export interface ClusterOptions {
  /** The Redis: a `redis://` (or `rediss://`) URL, or ioredis options. Needs the `ioredis` package. */
  redis: string | RedisConnectionOptions
  /**
   * Names the site in Redis: the prefix of its keys and channels. Processes with the same key
   * form one cluster.
   * @default 'livereload:' and a hash of the resolved `root` and `watch`
   */
  key?: string
  /**
   * The leader's lease time-to-live (ms, at least 600). A leader killed outright is replaced
   * when its lease expires, within it of the kill; a leader that cannot renew stops building a
   * third before it.
   * @default 3000
   */
  ttl?: number
}

/** The `fastify.liveReload` decorator. */
export interface LiveReloadController {
  /**
   * Tell every browser to reload. `paths` are URL paths for the record (and for clients that
   * only reload pages they show); omit them for "everything".
   */
  reload (paths?: string[]): void
  /** Broadcast a protocol message as it is. */
  send (message: BroadcastMessage): void
  /**
   * Runs the builder now (after the running build, if any) with the pending source changes and
   * resolves to its report. Without a builder it reloads the browsers.
   */
  build (options?: { full?: boolean }): Promise<BuildReport>
  /** Connected browsers. */
  readonly clients: number
  stats (): LiveReloadStats
}

export type InjectPredicate = (request: FastifyRequest, reply: FastifyReply) => boolean
export type NonceProvider = (request: FastifyRequest, reply: FastifyReply) => string | undefined

/** Where the LiveReload protocol 7 endpoint also listens, for the LiveReload browser extensions. */
export interface LiveReloadProtocolOptions {
  /**
   * A port of its own for `/livereload` (35729 is the one the extensions and `livereload.js`
   * snippets use; 0 picks a free one). Without it, protocol 7 is served on the app's port only.
   */
  port?: number
  /**
   * Address of that listener; only with `port`.
   * @default '127.0.0.1'
   */
  host?: string
}

export interface LiveReloadOptions {
  /**
   * Output directory: served with @fastify/static and watched; a change reloads browsers, a
   * change to stylesheets (or images) alone swaps them in place. `false` or absent: the app serves its own pages
   * and only injection and the channel are added. Relative paths resolve against the process
   * working directory.
   * @default false
   */
  root?: string | false
  /**
   * URL prefix under which `root` is served. A plain URL path: Fastify's route syntax (`:`, `*`,
   * `(`, `)`) is refused.
   * @default '/'
   */
  prefix?: string
  /**
   * Sources: files or directories whose changes run the builder, or reload the browsers when
   * there is no builder (templates rendered by the app). The output directory is never
   * watched as a source, even when it lies inside one.
   * @default []
   */
  watch?: string | string[]
  /** Runs on source changes: a `Builder`, or a bare build function. */
  builder?: Builder | BuildFunction
  /**
   * Run a full build while the plugin registers, so the server starts on fresh output. Its
   * failure is logged and shown in the overlay; the server still starts.
   * @default true when there is a builder
   */
  buildOnStart?: boolean
  /**
   * When sources change during a build, abort it (its `ctx.signal`) and start over with all the
   * changes, instead of letting it finish first. For builders that honour the signal. A function
   * decides per change (a save, a burst: the changes as one build would get them): true aborts.
   * @default false
   */
  supersede?: boolean | ((changes: FileChange[]) => boolean)
  /** Called before each build; an exception is logged and ignored. */
  onBuildStart?: (ctx: BuildContext) => unknown
  /** Called after each build with its report; an exception is logged and ignored. */
  onBuildEnd?: (report: BuildReport) => unknown
  /**
   * Extra @fastify/static options, merged over ours (`root`, `prefix` and `decorateReply`
   * are ours to set). Our defaults, which these override key by key: `dotfiles: 'ignore'`
   * (dotfiles are not served) and `allowedPath`/`onFile` checks that refuse symlinks leading
   * out of `root`; `{ allowedPath: undefined, onFile: undefined }` follows every symlink.
   * @default {}
   */
  static?: Omit<FastifyStaticOptions, 'root' | 'prefix'>
  /**
   * Globs (picomatch, relative to the watched directory) and RegExps (tested against the path
   * relative to the watched directory, with `/` separators) that the watcher ignores, on top of
   * the defaults: `.git`, `node_modules` and editor swap and backup files. The outputs a builder
   * returns are held to them too, relative to `root`.
   * @default []
   */
  ignore?: Array<string | RegExp>
  /**
   * Quiet window in milliseconds that coalesces the events of one save into one build. In the
   * output directory a save after an idle spell is sent within a few milliseconds and this is
   * only the fallback (and a cap on those shorter waits). At most 2147483647, the longest
   * delay Node.js timers take.
   * @default 75
   */
  debounce?: number
  /**
   * Poll the watched directories (`true`, or the interval in milliseconds, from 100 to
   * 2147483647, the longest delay Node.js timers take) instead
   * of using native events, which never arrive on WSL2 `/mnt/*`, Docker bind mounts from
   * Windows and network or FUSE file systems. By default polling is chosen per directory on
   * those file systems only, with a warning that says why; `false` never polls.
   * @default auto: true on WSL2 /mnt/*, network and FUSE mounts
   */
  poll?: number | boolean
  /**
   * Base path of the channel routes: the WebSocket at `path`, its Server-Sent Events fallback at
   * `{path}/events`, the client at `{path}/client.js`, the stats at `{path}/status`. `/` and
   * segments of ASCII letters, digits, `-`, `.`, `_` and `~`: no route syntax (`/:x` would
   * answer every one-segment request), no empty, `.` or `..` segment, no trailing `/`.
   * @default '/__livereload'
   */
  path?: string
  /**
   * `false` injects nothing; a function decides per response. Route config
   * `{ liveReload: false }` opts a single route out.
   * @default true
   */
  inject?: boolean | InjectPredicate
  /**
   * The script nonce to put on the injected tag. By default it is read from the response's
   * `Content-Security-Policy` header (`script-src-elem`, else `script-src`, else `default-src`).
   */
  nonce?: NonceProvider
  /**
   * Swap stylesheets in place when only CSS files changed, and images when only images
   * changed, without a page reload. `false` reloads the page instead.
   * @default true
   */
  css?: boolean
  /**
   * Patch instead of reload: when a change is to the HTML of the page a tab shows, and only its
   * body, title or stylesheets differ (no script, nothing else in the head), the tab fetches the
   * page once and morphs it in place, keeping scroll, focus, selection, typed input and the
   * scripts' state. Anything else, or any doubt, reloads as before. `false` always reloads (and
   * serves the smaller client). See docs/client.md.
   * @default true
   */
  patch?: boolean
  /**
   * Make every `file:line` in the error overlay and on route error pages a link that opens
   * your editor there (through launch-editor: `LAUNCH_EDITOR`, a running editor, `VISUAL` or
   * `EDITOR`), by `POST {path}/open-in-editor`. Only files of the project (`root`, `watch`),
   * only for pages of the server's own origin opened on this machine. `false`: no links, no route.
   * @default true
   */
  openInEditor?: boolean
  /**
   * Origins, besides the page's own, allowed to open the channel (`'https://dev.example:8443'`).
   * `true` allows any origin.
   * @default []
   */
  allowedOrigins?: string[] | true
  /**
   * Host names, besides local names and IP addresses, allowed to reach the channel. A leading
   * dot allows subdomains (`'.example.test'`). `true` allows any host.
   * @default []
   */
  allowedHosts?: string[] | true
  /**
   * Connected browsers beyond this number are refused with 503. A LiveReload protocol 7
   * socket counts once it has said `hello` (one silent for 5 s is dropped).
   * @default 1000
   */
  maxClients?: number
  /**
   * When false the plugin only serves `root` (if given) and logs that live reload is off.
   * @default process.env.NODE_ENV !== 'production'
   */
  enabled?: boolean
  /**
   * Also speak LiveReload protocol 7 (livereload-js, the LiveReload browser extensions): a
   * WebSocket at `/livereload` on the app's port, and with `{ port }` on a loopback listener
   * of its own, closed with the app.
   * @default false
   */
  livereload?: boolean | LiveReloadProtocolOptions
  /**
   * Synchronized browsing: among the tabs on one page, what the user does in one (scroll,
   * clicks, form input and submits, following a link or going back) the others repeat. `true`
   * turns every kind on; an object turns kinds off one by one. Needs the WebSocket (a tab on
   * the Server-Sent Events fallback is not synchronized). See docs/sync.md.
   * @default false
   */
  sync?: boolean | SyncOptions
  /**
   * Prometheus metrics, through prom-client (an optional peer dependency: install it). `true`
   * registers the plugin's counters, gauges and histograms in prom-client's default registry
   * (`register`, the one fastify-metrics and most apps' own /metrics serve); a `Registry`, in
   * that one. The plugin adds no route: the app's /metrics shows them. See docs/metrics.md.
   * @default false
   */
  metrics?: boolean | MetricsRegistry
  /**
   * Many processes, one watcher and one build: the processes that share the Redis and the `key`
   * elect a leader that watches and builds, and every message reaches every process's
   * browsers. Needs the `ioredis` package. See docs/cluster.md.
   */
  cluster?: ClusterOptions | false
}

/**
 * A prom-client `Registry` (`new Registry()`, or `register`, the default one), as far as the
 * `metrics` option uses it: declared here so that these types do not need prom-client.
 */
export interface MetricsRegistry {
  registerMetric (metric: unknown): void
  getSingleMetric (name: string): unknown
  metrics (): Promise<string>
}

/** The kinds of synchronized browsing (the `sync` option); each is on unless set to false. */
export interface SyncOptions {
  /** The window's scroll position, proportionally (a phone and a desktop at the same relative place). @default true */
  scroll?: boolean
  /** CSS selectors of scrolling elements mirrored besides the window (each matches one element per page). @default [] */
  scrollElements?: string[]
  /** Clicks on anything but form controls and links that leave the page. @default true */
  clicks?: boolean
  /** Text typed, choices made, boxes ticked, forms submitted to this origin; never passwords (nor fields that were or are named so), hidden or file inputs, nor `[data-no-sync]`. @default true */
  forms?: boolean
  /** A tab that goes to another page of the site (a link, back, forward) takes the others along. @default true */
  navigation?: boolean
}

type InvalidOptionError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_INVALID_OPTION' }, [option: string, problem: string]>
type AlreadyRegisteredError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_ALREADY_REGISTERED' }, []>
type WatchFailedError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_WATCH_FAILED' }, [dir: string, opts?: { cause: unknown }]>
type WatchLimitError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_WATCH_LIMIT' }, [dir: string, sysctl: string, opts?: { cause: unknown }]>
type InvalidMessageError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_INVALID_MESSAGE' }, [problem: string]>
type ListenFailedError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_LISTEN_FAILED' }, [address: string, reason: string, opts?: { cause: unknown }]>
type MissingDependencyError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_MISSING_DEPENDENCY' }, [pkg: string, why: string, install: string, opts?: { cause: unknown }]>
type ConnectFailedError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_CONNECT_FAILED' }, [path: string, problem: string, opts?: { cause: unknown }]>
type TimeoutError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_TIMEOUT' }, [ms: number, awaited: string, seen: string]>
type ChannelClosedError = FastifyErrorConstructor<{ code: 'FST_LIVERELOAD_CHANNEL_CLOSED' }, [awaited: string, detail: string]>

/** Constructors of every error the plugin throws; match on `err.code`. */
export declare const errors: {
  FST_LIVERELOAD_INVALID_OPTION: InvalidOptionError
  /** The plugin was registered twice in one context. */
  FST_LIVERELOAD_ALREADY_REGISTERED: AlreadyRegisteredError
  FST_LIVERELOAD_WATCH_FAILED: WatchFailedError
  FST_LIVERELOAD_WATCH_LIMIT: WatchLimitError
  FST_LIVERELOAD_INVALID_MESSAGE: InvalidMessageError
  FST_LIVERELOAD_LISTEN_FAILED: ListenFailedError
  /** An optional peer dependency an option needs is not installed; the message names it. */
  FST_LIVERELOAD_MISSING_DEPENDENCY: MissingDependencyError
  /** The test harness could not connect (fastify-livereload/testing). */
  FST_LIVERELOAD_CONNECT_FAILED: ConnectFailedError
  /** A wait of the test harness timed out; the message names what it waited for. */
  FST_LIVERELOAD_TIMEOUT: TimeoutError
  /** The test harness's connection closed during a wait. */
  FST_LIVERELOAD_CHANNEL_CLOSED: ChannelClosedError
}

export type LiveReloadError = FastifyError

export declare const liveReload: FastifyPluginAsync<LiveReloadOptions>
export default liveReload

declare module 'fastify' {
  interface FastifyInstance {
    liveReload: LiveReloadController
  }
  interface FastifyContextConfig {
    /** `false` keeps the client tag out of this route's HTML. */
    liveReload?: boolean
  }
}
