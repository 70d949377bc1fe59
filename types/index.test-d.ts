import Fastify, { type FastifyPluginAsync } from 'fastify'
import { expectAssignable, expectError, expectNotAssignable, expectType } from 'tsd'
import liveReload, {
  errors,
  liveReload as named,
  type BroadcastMessage,
  type LiveReloadOptions,
  type LiveReloadStats,
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
  allowedOrigins: ['https://dev.example:8443'],
  allowedHosts: ['.example.test'],
  maxClients: 50,
  enabled: true
})
app.register(liveReload, { root: false, inject: false, allowedOrigins: true, allowedHosts: true })

expectError(app.register(liveReload, { debounce: '20' }))
expectError(app.register(liveReload, { root: true }))
expectError(app.register(liveReload, { static: { root: '/etc' } }))
expectError(app.register(liveReload, { ignore: [42] }))
expectError(app.register(liveReload, { inject: 'yes' }))
expectError(app.register(liveReload, { nonce: 'abc' }))

expectType<number>(app.liveReload.clients)
expectType<void>(app.liveReload.reload())
expectType<void>(app.liveReload.reload(['/index.html']))
expectType<void>(app.liveReload.send({ type: 'css', paths: ['/site.css'] }))
expectType<void>(app.liveReload.send({ type: 'error', errors: [{ message: 'x', file: 'src/a.md', line: 3 }] }))
expectError(app.liveReload.send({ type: 'hello', protocol: 1, instance: 'x' }))
expectError(app.liveReload.send({ type: 'reload' }))
expectType<LiveReloadStats>(app.liveReload.stats())

expectAssignable<ServerMessage>({ type: 'hello', protocol: 1, instance: 'abc' })
expectNotAssignable<BroadcastMessage>({ type: 'hello', protocol: 1, instance: 'abc' })
expectNotAssignable<ServerMessage>({ type: 'hello', protocol: 2, instance: 'abc' })

app.get('/raw', { config: { liveReload: false } }, async () => '<p>no client here</p>')
expectError(app.get('/raw2', { config: { liveReload: 'no' } }, async () => ''))

expectType<'FST_LIVERELOAD_INVALID_OPTION'>(new errors.FST_LIVERELOAD_INVALID_OPTION('root', 'is wrong').code)
expectType<'FST_LIVERELOAD_WATCH_FAILED'>(errors.FST_LIVERELOAD_WATCH_FAILED('dist', { cause: new Error('x') }).code)
expectType<'FST_LIVERELOAD_INVALID_MESSAGE'>(new errors.FST_LIVERELOAD_INVALID_MESSAGE('bad').code)
