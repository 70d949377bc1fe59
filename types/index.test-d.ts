// Type tests of the public contract, compiled with the tests by `npm run typecheck`: a line under
// `// @ts-expect-error` must not compile, `value satisfies T` must, and expect-type's
// `expectTypeOf(value).toEqualTypeOf<T>()` wants exactly T. (The same in dev, keep and testing.)
import Fastify, { type FastifyPluginAsync } from 'fastify'
import { register, Registry } from 'prom-client'
import { expectTypeOf } from 'expect-type'
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

expectTypeOf(liveReload).toEqualTypeOf<FastifyPluginAsync<LiveReloadOptions>>()
expectTypeOf(named).toEqualTypeOf<typeof liveReload>()

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
    expectTypeOf(ctx.changes).toEqualTypeOf<FileChange[]>()
    expectTypeOf(ctx.full).toEqualTypeOf<boolean>()
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>()
    return { reload: 'auto', outputs: ['dist/index.html'] }
  },
  buildOnStart: false,
  supersede: true,
  onBuildStart: ctx => { expectTypeOf(ctx).toEqualTypeOf<BuildContext>() },
  onBuildEnd: report => { expectTypeOf(report).toEqualTypeOf<BuildReport>() }
})
app.register(liveReload, { watch: 'views' })
app.register(liveReload, { root: 'dist', openInEditor: false })
// @ts-expect-error
app.register(liveReload, { openInEditor: 'code' })
app.register(liveReload, { root: 'dist', patch: true })
// @ts-expect-error
app.register(liveReload, { root: 'dist', patch: 'no' })
app.register(liveReload, { builder: commandBuilder(['npm run build:css', 'npm run build:html'], { timeout: 60_000 }) })
app.register(liveReload, { builder: isolatedBuilder(new URL('./build.js', import.meta.url), { maxMemory: 512 }) })
app.register(liveReload, { builder: { name: 'mine', build: () => ({ errors: [new Error('x'), 'y', { message: 'z' }] }), close: async () => {} } })
// @ts-expect-error
app.register(liveReload, { builder: 'npm run build' })
// @ts-expect-error
app.register(liveReload, { builder: async () => ({ reload: 'sometimes' }) })
app.register(liveReload, { root: '_site', builder: runBuilder('npx @11ty/eleventy --watch', { ends: /^done/, timeout: 60_000 }) })
app.register(liveReload, { builder: { build: () => {}, watch: ({ rebuilding, signal, log }) => { signal.addEventListener('abort', () => log.info('stop')); rebuilding() } } })
// @ts-expect-error
runBuilder('gen --watch', { begins: '^go' })
// @ts-expect-error
runBuilder('gen --watch', { watch: true })
// @ts-expect-error
runBuilder(['gen', '--watch'])
// @ts-expect-error
commandBuilder(42)
// @ts-expect-error
commandBuilder('x', { env: 'a' })
// @ts-expect-error
commandBuilder('x', { env: { A: 1 } })
// @ts-expect-error
commandBuilder('x', { timout: 1000 })
;({ env: { A: '1', B: undefined } }) satisfies Parameters<typeof commandBuilder>[1]
// @ts-expect-error
isolatedBuilder('b.js', { execArgv: '--a' })
// @ts-expect-error
isolatedBuilder('b.js', { env: 1 })
// @ts-expect-error
isolatedBuilder('b.js', { cwd: '/tmp' })

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
      expectTypeOf(shards).toEqualTypeOf<Array<ShardResult<Page[]>>>()
      expectTypeOf(shards[0].data).toEqualTypeOf<Page[] | undefined>()
      expectTypeOf(ctx).toEqualTypeOf<MergeContext>()
      return { outputs: ['dist/sitemap.xml'] }
    }
  })
})
app.register(liveReload, { builder: shardedBuilder({ worker: 'worker.js', sources: ['a', 'b'], shardOf: 'hash', shards: 32, cache: false }) })
const buildShard: BuildShard<Page[], { out: string }> = async ({ key, files, changes, full, workerData }) => {
  expectTypeOf(key).toEqualTypeOf<string>()
  expectTypeOf(files).toEqualTypeOf<string[]>()
  expectTypeOf(changes).toEqualTypeOf<FileChange[]>()
  expectTypeOf(full).toEqualTypeOf<boolean>()
  expectTypeOf(workerData).toEqualTypeOf<{ out: string }>()
  return { outputs: files.map(file => `${workerData.out}/${file}`), data: [{ url: '/', title: 'Home' }] }
}
buildShard satisfies (input: ShardInput<{ out: string }>) => unknown
// @ts-expect-error
shardedBuilder({ worker: 'worker.js' })
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', shardOf: 'size' })
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', cache: true })
// @ts-expect-error
shardedBuilder<Page[]>({ worker: 'worker.js', sources: 'content', merge: (shards: Array<ShardResult<string>>) => {} })

// shardedBuilder's queue: a Redis URL or ioredis options; runShardWorker takes the same.
app.register(liveReload, { builder: shardedBuilder({ worker: 'worker.js', sources: 'content', output: 'dist', queue: { redis: 'redis://127.0.0.1:6379' } }) })
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', output: false })
;({ redis: { host: 'redis.internal', port: 6380, password: 'x' }, name: 'docs', workerTimeout: 30_000 }) satisfies ShardQueueOptions
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', queue: {} })
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', queue: { redis: 6379 } })
// @ts-expect-error
shardedBuilder({ worker: 'worker.js', sources: 'content', queue: { redis: 'redis://x', workerTimeout: '10s' } })
expectTypeOf(runShardWorker({ redis: 'redis://127.0.0.1:6379', worker: 'worker.js', concurrency: 4, name: 'docs', execArgv: ['--enable-source-maps'], stallTimeout: 2000, cwd: '/srv/site', log: Fastify().log })).toEqualTypeOf<Promise<ShardWorker>>()
expectTypeOf((await runShardWorker({ redis: { host: 'redis.internal' }, worker: new URL('file:///srv/site/worker.js') })).name).toEqualTypeOf<string>()
expectTypeOf((await runShardWorker({ redis: 'redis://x', worker: 'worker.js' })).close()).toEqualTypeOf<Promise<void>>()
// @ts-expect-error
runShardWorker({ concurrency: 2, worker: 'worker.js' })
// @ts-expect-error
runShardWorker({ redis: 'redis://x' })
// @ts-expect-error
runShardWorker({ redis: 'redis://x', worker: 'worker.js', concurrency: '2' })

// @ts-expect-error
app.register(liveReload, { debounce: '20' })
// @ts-expect-error
app.register(liveReload, { root: true })
// @ts-expect-error
app.register(liveReload, { static: { root: '/etc' } })
// The file policy's documented overrides: serve dotfiles, follow every symlink.
;({ root: 'dist', static: { dotfiles: 'allow', allowedPath: undefined, onFile: undefined } }) satisfies LiveReloadOptions
// @ts-expect-error
app.register(liveReload, { ignore: [42] })
// @ts-expect-error
app.register(liveReload, { inject: 'yes' })
// @ts-expect-error
app.register(liveReload, { nonce: 'abc' })
app.register(liveReload, { livereload: true })
app.register(liveReload, { livereload: { port: 35729 } })
app.register(liveReload, { livereload: { port: 35729, host: '::1' } })
;({}) satisfies LiveReloadProtocolOptions
// @ts-expect-error
app.register(liveReload, { livereload: 35729 })
// @ts-expect-error
app.register(liveReload, { livereload: { port: '35729' } })

app.register(liveReload, { sync: true })
app.register(liveReload, { sync: { forms: false, scrollElements: ['#sidebar'] } })
// @ts-expect-error
app.register(liveReload, { sync: { mouse: true } })
// @ts-expect-error
app.register(liveReload, { sync: { scrollElements: '#sidebar' } })
// @ts-expect-error
;({ type: 'sync', path: '/', event: { kind: 'click', target: '#a' } }) satisfies BroadcastMessage
;({ type: 'join', path: '/' }) satisfies ClientMessage
// @ts-expect-error
app.register(liveReload, { livereload: { prot: 35729 } })

app.register(liveReload, { metrics: true })
app.register(liveReload, { metrics: false })
app.register(liveReload, { metrics: register })
app.register(liveReload, { metrics: new Registry() })
new Registry() satisfies MetricsRegistry
// @ts-expect-error
app.register(liveReload, { metrics: 'yes' })
// @ts-expect-error
app.register(liveReload, { metrics: {} })

expectTypeOf(app.liveReload.clients).toEqualTypeOf<number>()
expectTypeOf(app.liveReload.reload()).toEqualTypeOf<void>()
expectTypeOf(app.liveReload.reload(['/index.html'])).toEqualTypeOf<void>()
expectTypeOf(app.liveReload.send({ type: 'css', paths: ['/site.css'] })).toEqualTypeOf<void>()
expectTypeOf(app.liveReload.send({ type: 'css', paths: ['public/site.css'], files: true })).toEqualTypeOf<void>()
// @ts-expect-error
app.liveReload.send({ type: 'css', paths: ['public/site.css'], files: 'yes' })
expectTypeOf(app.liveReload.send({ type: 'error', errors: [{ message: 'x', file: 'src/a.md', line: 3 }] })).toEqualTypeOf<void>()
// @ts-expect-error
app.liveReload.send({ type: 'hello', protocol: 1, instance: 'x' })
// @ts-expect-error
app.liveReload.send({ type: 'reload' })
expectTypeOf(app.liveReload.stats()).toEqualTypeOf<LiveReloadStats>()
expectTypeOf(app.liveReload.build({ full: true })).toEqualTypeOf<Promise<BuildReport>>()
expectTypeOf(app.liveReload.stats().lastDuration).toEqualTypeOf<number | null>()

;({ type: 'hello', protocol: 1, instance: 'abc' }) satisfies ServerMessage
// @ts-expect-error
;({ type: 'hello', protocol: 1, instance: 'abc' }) satisfies BroadcastMessage
// @ts-expect-error
;({ type: 'hello', protocol: 2, instance: 'abc' }) satisfies ServerMessage

app.get('/raw', { config: { liveReload: false } }, async () => '<p>no client here</p>')
// @ts-expect-error
app.get('/raw2', { config: { liveReload: 'no' } }, async () => '')

expectTypeOf(new errors.FST_LIVERELOAD_INVALID_OPTION('root', 'is wrong').code).toEqualTypeOf<'FST_LIVERELOAD_INVALID_OPTION'>()
expectTypeOf(new errors.FST_LIVERELOAD_ALREADY_REGISTERED().code).toEqualTypeOf<'FST_LIVERELOAD_ALREADY_REGISTERED'>()
expectTypeOf(errors.FST_LIVERELOAD_WATCH_FAILED('dist', { cause: new Error('x') }).code).toEqualTypeOf<'FST_LIVERELOAD_WATCH_FAILED'>()
expectTypeOf(new errors.FST_LIVERELOAD_WATCH_LIMIT('src', 'fs.inotify.max_user_watches').code).toEqualTypeOf<'FST_LIVERELOAD_WATCH_LIMIT'>()
expectTypeOf(new errors.FST_LIVERELOAD_INVALID_MESSAGE('bad').code).toEqualTypeOf<'FST_LIVERELOAD_INVALID_MESSAGE'>()
expectTypeOf(new errors.FST_LIVERELOAD_LISTEN_FAILED('127.0.0.1:35729', 'the port is in use', { cause: new Error('EADDRINUSE') }).code).toEqualTypeOf<'FST_LIVERELOAD_LISTEN_FAILED'>()
;({ poll: true }) satisfies LiveReloadOptions
;({ poll: 500 }) satisfies LiveReloadOptions
;({ poll: false }) satisfies LiveReloadOptions
// @ts-expect-error
app.register(liveReload, { poll: '500' })

// The cluster option: a Redis URL or ioredis options; its place in stats().
app.register(liveReload, { root: 'dist', cluster: { redis: 'redis://127.0.0.1:6379' } })
app.register(liveReload, { cluster: { redis: { host: 'redis', port: 6379, password: 'x', keepAlive: 1000 }, key: 'docs', ttl: 5000 } })
app.register(liveReload, { cluster: false })
// @ts-expect-error
app.register(liveReload, { cluster: {} })
// @ts-expect-error
app.register(liveReload, { cluster: { redis: 6379 } })
// @ts-expect-error
app.register(liveReload, { cluster: { redis: 'redis://x', ttl: '3000' } })
// @ts-expect-error
app.register(liveReload, { cluster: true })
const clusterStats = app.liveReload.stats().cluster
if (clusterStats !== undefined) {
  expectTypeOf(clusterStats.role).toEqualTypeOf<'leader' | 'follower'>()
  expectTypeOf(clusterStats.leader).toEqualTypeOf<string | null>()
  expectTypeOf(clusterStats.clients).toEqualTypeOf<number>()
  expectTypeOf(clusterStats.redis).toEqualTypeOf<boolean>()
}
;({ redis: 'redis://127.0.0.1' }) satisfies ClusterOptions
expectTypeOf(clusterStats).toEqualTypeOf<ClusterStats | undefined>()
