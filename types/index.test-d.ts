import Fastify, { type FastifyPluginAsync } from 'fastify'
import { register, Registry } from 'prom-client'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import liveReload, {
  commandBuilder,
  runBuilder,
  errors,
  isolatedBuilder,
  shardedBuilder,
  runShardWorker,
  type ShardWorker,
  type ShardQueueOptions,
  type BuildShard,
  type ClusterOptions,
  type ClusterStats,
  type MergeContext,
  type ShardInput,
  type ShardResult,
  type BuildContext,
  type BuildReport,
  type FileChange,
  liveReload as named,
  type BroadcastMessage,
  type ClientMessage,
  type LiveReloadOptions,
  type LiveReloadProtocolOptions,
  type LiveReloadStats,
  type MetricsRegistry,
  type ServerMessage
} from './index.js'

expectType<FastifyPluginAsync<LiveReloadOptions>>(liveReload)
expectType<typeof liveReload>(named)

const app = Fastify()
app.register(liveReload)
app.register(liveReload, { root: 'dist' })
app.register(liveReload, {
  root: 'dist',
  prefix: '/docs',
  static: { dotfiles: 'deny', preCompressed: true },
  ignore: ['**/*.map', /\.tmp$/],
  debounce: 50,
  path: '/__lr',
  inject: (request, reply) => request.url !== '/raw' && reply.statusCode === 200,
  nonce: (request) => request.headers['x-nonce'] as string | undefined,
  css: false,
  patch: false,
  allowedOrigins: ['https://dev.example:8443'],
  allowedHosts: ['.example.test'],
  maxClients: 50,
  enabled: true
})
app.register(liveReload, { root: false, inject: false, allowedOrigins: true, allowedHosts: true })
app.register(liveReload, {
  root: 'dist',
  watch: ['src', 'content/index.md'],
  builder: async ctx => {
    expectType<FileChange[]>(ctx.changes)
    expectType<boolean>(ctx.full)
    expectType<AbortSignal>(ctx.signal)
    return { reload: 'auto', outputs: ['dist/index.html'] }
  },
  buildOnStart: false,
  supersede: true,
  onBuildStart: ctx => { expectType<BuildContext>(ctx) },
  onBuildEnd: report => { expectType<BuildReport>(report) }
})
app.register(liveReload, { watch: 'views' })
app.register(liveReload, { root: 'dist', openInEditor: false })
expectError(app.register(liveReload, { openInEditor: 'code' }))
app.register(liveReload, { root: 'dist', patch: true })
expectError(app.register(liveReload, { root: 'dist', patch: 'no' }))
app.register(liveReload, { builder: commandBuilder(['npm run build:css', 'npm run build:html'], { timeout: 60_000 }) })
app.register(liveReload, { builder: isolatedBuilder(new URL('./build.js', import.meta.url), { maxMemory: 512 }) })
app.register(liveReload, { builder: { name: 'mine', build: () => ({ errors: [new Error('x'), 'y', { message: 'z' }] }), close: async () => {} } })
expectError(app.register(liveReload, { builder: 'npm run build' }))
expectError(app.register(liveReload, { builder: async () => ({ reload: 'sometimes' }) }))
app.register(liveReload, { root: '_site', builder: runBuilder('npx @11ty/eleventy --watch', { ends: /^done/, timeout: 60_000 }) })
app.register(liveReload, { builder: { build: () => {}, watch: ({ rebuilding, signal, log }) => { signal.addEventListener('abort', () => log.info('stop')); rebuilding() } } })
expectError(runBuilder('gen --watch', { begins: '^go' }))
expectError(runBuilder('gen --watch', { watch: true }))
expectError(runBuilder(['gen', '--watch']))
expectError(commandBuilder(42))
expectError(commandBuilder('x', { env: 'a' }))
expectError(commandBuilder('x', { env: { A: 1 } }))
expectError(commandBuilder('x', { timout: 1000 }))
expectAssignable<Parameters<typeof commandBuilder>[1]>({ env: { A: '1', B: undefined } })
expectError(isolatedBuilder('b.js', { execArgv: '--a' }))
expectError(isolatedBuilder('b.js', { env: 1 }))
expectError(isolatedBuilder('b.js', { cwd: '/tmp' }))

// shardedBuilder: the Data of buildShard reaches merge, typed.
interface Page { url: string, title: string }
app.register(liveReload, {
  watch: ['content', 'layout.html'],
  builder: shardedBuilder<Page[], { out: string }>({
    worker: new URL('./worker.js', import.meta.url),
    sources: 'content',
    include: ['**/*.md', '**/*.mdx'],
    ignore: ['drafts/**'],
    shared: ['layout.html', 'config/*.json'],
    shardOf: file => file.relative.split('/')[0],
    concurrency: 4,
    timeout: 30_000,
    cache: '.cache/shards',
    prune: false,
    workerData: { out: 'dist' },
    execArgv: ['--enable-source-maps'],
    maxMemory: 512,
    merge: (shards, ctx) => {
      expectType<Array<ShardResult<Page[]>>>(shards)
      expectType<Page[] | undefined>(shards[0].data)
      expectType<MergeContext>(ctx)
      return { outputs: ['dist/sitemap.xml'] }
    }
  })
})
app.register(liveReload, { builder: shardedBuilder({ worker: 'worker.js', sources: ['a', 'b'], shardOf: 'hash', shards: 32, cache: false }) })
const buildShard: BuildShard<Page[], { out: string }> = async ({ key, files, changes, full, workerData }) => {
  expectType<string>(key)
  expectType<string[]>(files)
  expectType<FileChange[]>(changes)
  expectType<boolean>(full)
  expectType<{ out: string }>(workerData)
  return { outputs: files.map(file => `${workerData.out}/${file}`), data: [{ url: '/', title: 'Home' }] }
}
expectAssignable<(input: ShardInput<{ out: string }>) => unknown>(buildShard)
expectError(shardedBuilder({ worker: 'worker.js' }))
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', shardOf: 'size' }))
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', cache: true }))
expectError(shardedBuilder<Page[]>({ worker: 'worker.js', sources: 'content', merge: (shards: Array<ShardResult<string>>) => {} }))

// shardedBuilder's queue: a Redis URL or ioredis options; runShardWorker takes the same.
app.register(liveReload, { builder: shardedBuilder({ worker: 'worker.js', sources: 'content', output: 'dist', queue: { redis: 'redis://127.0.0.1:6379' } }) })
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', output: false }))
expectAssignable<ShardQueueOptions>({ redis: { host: 'redis.internal', port: 6380, password: 'x' }, name: 'docs', workerTimeout: 30_000 })
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', queue: {} }))
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', queue: { redis: 6379 } }))
expectError(shardedBuilder({ worker: 'worker.js', sources: 'content', queue: { redis: 'redis://x', workerTimeout: '10s' } }))
expectType<Promise<ShardWorker>>(runShardWorker({ redis: 'redis://127.0.0.1:6379', worker: 'worker.js', concurrency: 4, name: 'docs', execArgv: ['--enable-source-maps'], stallTimeout: 2000, cwd: '/srv/site', log: Fastify().log }))
expectType<string>((await runShardWorker({ redis: { host: 'redis.internal' }, worker: new URL('file:///srv/site/worker.js') })).name)
expectType<Promise<void>>((await runShardWorker({ redis: 'redis://x', worker: 'worker.js' })).close())
expectError(runShardWorker({ concurrency: 2, worker: 'worker.js' }))
expectError(runShardWorker({ redis: 'redis://x' }))
expectError(runShardWorker({ redis: 'redis://x', worker: 'worker.js', concurrency: '2' }))

expectError(app.register(liveReload, { debounce: '20' }))
expectError(app.register(liveReload, { root: true }))
expectError(app.register(liveReload, { static: { root: '/etc' } }))
// The file policy's documented overrides: serve dotfiles, follow every symlink.
expectAssignable<LiveReloadOptions>({ root: 'dist', static: { dotfiles: 'allow', allowedPath: undefined, onFile: undefined } })
expectError(app.register(liveReload, { ignore: [42] }))
expectError(app.register(liveReload, { inject: 'yes' }))
expectError(app.register(liveReload, { nonce: 'abc' }))
app.register(liveReload, { livereload: true })
app.register(liveReload, { livereload: { port: 35729 } })
app.register(liveReload, { livereload: { port: 35729, host: '::1' } })
expectAssignable<LiveReloadProtocolOptions>({})
expectError(app.register(liveReload, { livereload: 35729 }))
expectError(app.register(liveReload, { livereload: { port: '35729' } }))

app.register(liveReload, { sync: true })
app.register(liveReload, { sync: { forms: false, scrollElements: ['#sidebar'] } })
expectError(app.register(liveReload, { sync: { mouse: true } }))
expectError(app.register(liveReload, { sync: { scrollElements: '#sidebar' } }))
expectNotAssignable<BroadcastMessage>({ type: 'sync', path: '/', event: { kind: 'click', target: '#a' } })
expectAssignable<ClientMessage>({ type: 'join', path: '/' })
expectError(app.register(liveReload, { livereload: { prot: 35729 } }))

app.register(liveReload, { metrics: true })
app.register(liveReload, { metrics: false })
app.register(liveReload, { metrics: register })
app.register(liveReload, { metrics: new Registry() })
expectAssignable<MetricsRegistry>(new Registry())
expectError(app.register(liveReload, { metrics: 'yes' }))
expectError(app.register(liveReload, { metrics: {} }))

expectType<number>(app.liveReload.clients)
expectType<void>(app.liveReload.reload())
expectType<void>(app.liveReload.reload(['/index.html']))
expectType<void>(app.liveReload.send({ type: 'css', paths: ['/site.css'] }))
expectType<void>(app.liveReload.send({ type: 'css', paths: ['public/site.css'], files: true }))
expectError(app.liveReload.send({ type: 'css', paths: ['public/site.css'], files: 'yes' }))
expectType<void>(app.liveReload.send({ type: 'error', errors: [{ message: 'x', file: 'src/a.md', line: 3 }] }))
expectError(app.liveReload.send({ type: 'hello', protocol: 1, instance: 'x' }))
expectError(app.liveReload.send({ type: 'reload' }))
expectType<LiveReloadStats>(app.liveReload.stats())
expectType<Promise<BuildReport>>(app.liveReload.build({ full: true }))
expectType<number | null>(app.liveReload.stats().lastDuration)

expectAssignable<ServerMessage>({ type: 'hello', protocol: 1, instance: 'abc' })
expectNotAssignable<BroadcastMessage>({ type: 'hello', protocol: 1, instance: 'abc' })
expectNotAssignable<ServerMessage>({ type: 'hello', protocol: 2, instance: 'abc' })

app.get('/raw', { config: { liveReload: false } }, async () => '<p>no client here</p>')
expectError(app.get('/raw2', { config: { liveReload: 'no' } }, async () => ''))

expectType<'FST_LIVERELOAD_INVALID_OPTION'>(new errors.FST_LIVERELOAD_INVALID_OPTION('root', 'is wrong').code)
expectType<'FST_LIVERELOAD_ALREADY_REGISTERED'>(new errors.FST_LIVERELOAD_ALREADY_REGISTERED().code)
expectType<'FST_LIVERELOAD_WATCH_FAILED'>(errors.FST_LIVERELOAD_WATCH_FAILED('dist', { cause: new Error('x') }).code)
expectType<'FST_LIVERELOAD_WATCH_LIMIT'>(new errors.FST_LIVERELOAD_WATCH_LIMIT('src', 'fs.inotify.max_user_watches').code)
expectType<'FST_LIVERELOAD_INVALID_MESSAGE'>(new errors.FST_LIVERELOAD_INVALID_MESSAGE('bad').code)
expectType<'FST_LIVERELOAD_LISTEN_FAILED'>(new errors.FST_LIVERELOAD_LISTEN_FAILED('127.0.0.1:35729', 'the port is in use', { cause: new Error('EADDRINUSE') }).code)
expectAssignable<LiveReloadOptions>({ poll: true })
expectAssignable<LiveReloadOptions>({ poll: 500 })
expectAssignable<LiveReloadOptions>({ poll: false })
expectError(app.register(liveReload, { poll: '500' }))

// The cluster option: a Redis URL or ioredis options; its place in stats().
app.register(liveReload, { root: 'dist', cluster: { redis: 'redis://127.0.0.1:6379' } })
app.register(liveReload, { cluster: { redis: { host: 'redis', port: 6379, password: 'x', keepAlive: 1000 }, key: 'docs', ttl: 5000 } })
app.register(liveReload, { cluster: false })
expectError(app.register(liveReload, { cluster: {} }))
expectError(app.register(liveReload, { cluster: { redis: 6379 } }))
expectError(app.register(liveReload, { cluster: { redis: 'redis://x', ttl: '3000' } }))
expectError(app.register(liveReload, { cluster: true }))
const clusterStats = app.liveReload.stats().cluster
if (clusterStats !== undefined) {
  expectType<'leader' | 'follower'>(clusterStats.role)
  expectType<string | null>(clusterStats.leader)
  expectType<number>(clusterStats.clients)
  expectType<boolean>(clusterStats.redis)
}
expectAssignable<ClusterOptions>({ redis: 'redis://127.0.0.1' })
expectType<ClusterStats | undefined>(clusterStats)
