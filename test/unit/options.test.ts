import { resolve } from 'node:path'
import t from 'tap'
import type { LiveReloadOptions } from '../../types/index.js'
import { DEFAULT_MAX_CLIENTS, DEFAULT_PATH } from '../../lib/channel/options.js'
import { DEFAULT_IGNORE } from '../../lib/ignore.js'
import { resolveOptions } from '../../lib/options.js'
import { DEFAULT_DEBOUNCE_MS } from '../../lib/pipeline/options.js'
import { DEFAULT_POLL_INTERVAL_MS } from '../../lib/watch/options.js'

t.test('defaults resolve with no options', async t => {
  const options = resolveOptions()
  t.match(options, {
    enabled: true,
    root: null,
    prefix: '/',
    path: DEFAULT_PATH,
    debounce: DEFAULT_DEBOUNCE_MS,
    maxClients: DEFAULT_MAX_CLIENTS,
    css: true,
    patch: true,
    nonce: null,
    allowedHosts: []
  })
  t.equal(typeof options.inject, 'function')
  t.same(options.ignore.globs, DEFAULT_IGNORE)
  t.ok(Object.isFrozen(options))
})

t.test('patch: on by default, false turns it off', async t => {
  t.equal(resolveOptions({ patch: false }).patch, false)
  t.equal(resolveOptions({ patch: true }).patch, true)
})

t.test('sync: off by default, true turns every kind on, an object turns kinds off one by one', async t => {
  t.equal(resolveOptions({}).sync, null)
  t.equal(resolveOptions({ sync: false }).sync, null)
  t.same(resolveOptions({ sync: true }).sync, { scroll: true, clicks: true, forms: true, navigation: true, scrollElements: [] })
  const scrollElements = ['#pane']
  const sync = resolveOptions({ sync: { forms: false, scrollElements } }).sync!
  t.same(sync, { scroll: true, clicks: true, forms: false, navigation: true, scrollElements: ['#pane'] })
  t.not(sync.scrollElements, scrollElements, 'a copy of the caller\'s array')
  t.ok(Object.isFrozen(sync))
})

t.test('metrics: off by default and with false, true for the default registry, a registry kept as it is', async t => {
  t.equal(resolveOptions({}).metrics, null)
  t.equal(resolveOptions({ metrics: false }).metrics, null)
  t.equal(resolveOptions({ metrics: true }).metrics, true)
  // Known by its methods, not by class: another copy of prom-client, or a client of the same shape, will do.
  const registry = { registerMetric () {}, getSingleMetric: () => undefined, metrics: async () => '' }
  t.equal(resolveOptions({ metrics: registry }).metrics, registry)
})

t.test('poll is auto by default, true is the default interval, false never polls', async t => {
  t.equal(resolveOptions().poll, 'auto')
  t.equal(resolveOptions({ poll: true }).poll, DEFAULT_POLL_INTERVAL_MS)
  t.equal(resolveOptions({ poll: false }).poll, false)
  t.equal(resolveOptions({ poll: 2000 }).poll, 2000)
})

t.test('millisecond options take up to the longest timer, 2^31 - 1 ms', async t => {
  t.equal(resolveOptions({ poll: 2 ** 31 - 1 }).poll, 2 ** 31 - 1)
  t.equal(resolveOptions({ debounce: 2 ** 31 - 1 }).debounce, 2 ** 31 - 1)
})

t.test('path takes segments of letters, digits and "-._~"; prefix anything but route syntax', async t => {
  t.equal(resolveOptions({ path: '/_dev/live-reload.v2~x' }).path, '/_dev/live-reload.v2~x')
  t.equal(resolveOptions({ prefix: '/assets/v1.2/@scope+x/' }).prefix, '/assets/v1.2/@scope+x/')
})

t.test('enabled defaults to false when NODE_ENV is production', async t => {
  const before = process.env.NODE_ENV
  t.teardown(() => { process.env.NODE_ENV = before })
  process.env.NODE_ENV = 'production'
  t.equal(resolveOptions().enabled, false)
  t.equal(resolveOptions({ enabled: true }).enabled, true)
})

t.test('root resolves against the working directory and false means none', async t => {
  t.equal(resolveOptions({ root: 'dist' }).root, resolve('dist'))
  t.equal(resolveOptions({ root: false }).root, null)
})

t.test('the caller\'s options object is never written to', async t => {
  const opts: LiveReloadOptions = Object.freeze({ root: 'dist', ignore: Object.freeze(['*.tmp']) as string[] })
  const options = resolveOptions(opts)
  t.same(opts, { root: 'dist', ignore: ['*.tmp'] })
  t.ok(options.ignore.globs.includes('*.tmp'))
})

t.test('ignore splits globs (applied natively) from RegExps (applied in JS)', async t => {
  const options = resolveOptions({ ignore: ['**/*.map', /\.tmp$/g] })
  t.equal(options.ignore.globs.at(-1), '**/*.map')
  t.equal(options.ignore.regexps.length, 1)
  t.equal(options.ignore.regexps[0].flags, '', 'a stateful g flag is dropped')
})

t.test('allowedOrigins normalise to origins, allowedHosts to lower case', async t => {
  const options = resolveOptions({ allowedOrigins: ['https://Dev.Example:8443/path'], allowedHosts: ['.Example.TEST'] })
  t.same([...options.allowedOrigins as Set<string>], ['https://dev.example:8443'])
  t.same(options.allowedHosts, ['.example.test'])
  t.equal(resolveOptions({ allowedOrigins: true, allowedHosts: true }).allowedOrigins, true)
})

t.test('static options are copied, nonce functions kept', async t => {
  const nonce = () => 'abc'
  const options = resolveOptions({ static: { dotfiles: 'deny' }, nonce })
  t.same(options.static, { dotfiles: 'deny' })
  t.equal(options.nonce, nonce)
})

t.test('build options: a bare function becomes a builder, buildOnStart follows it', async t => {
  async function make () {}
  const options = resolveOptions({ watch: 'src', builder: make })
  t.same(options.watch, [resolve('src')])
  t.equal(options.builder?.name, 'make')
  t.equal(options.builder?.build, make)
  t.equal(options.buildOnStart, true)
  t.equal(resolveOptions({ builder: { build: () => {} }, buildOnStart: false }).buildOnStart, false)
  t.equal(resolveOptions({ watch: ['a', 'a', 'b'] }).watch.length, 2, 'duplicates dropped')
  t.equal(resolveOptions().buildOnStart, false)
  const anonymous = [() => {}][0]
  t.equal(resolveOptions({ builder: anonymous }).builder?.name, 'build', 'anonymous functions get a name')
})

t.test('supersede: a boolean, or a function of the changes that only true answers abort', async t => {
  const changes = [{ path: '/src/a.ts', type: 'update' as const }]
  t.equal(resolveOptions().supersede(changes), false)
  t.equal(resolveOptions({ supersede: true }).supersede(changes), true)
  t.equal(resolveOptions({ supersede: list => list[0]?.path.endsWith('.ts') === true }).supersede(changes), true)
  t.equal(resolveOptions({ supersede: () => 'yes' as never }).supersede(changes), false, 'true itself, nothing truthy')
})

t.test('inject: false means never, a function is kept', async t => {
  const predicate = () => false
  t.equal(resolveOptions({ inject: false }).inject, null)
  t.equal(resolveOptions({ inject: predicate }).inject, predicate)
})

const invalid: Array<[string, unknown]> = [
  ['options', 'dist'],
  ['roots', { roots: 'dist' }],
  ['root', { root: 42 }],
  ['root', { root: '' }],
  ['root', { root: true }],
  ['prefix', { prefix: 'static' }],
  ['prefix', { prefix: '/a b' }],
  ['static', { static: 'yes' }],
  ['static', { static: { root: '/etc' } }],
  ['ignore', { ignore: '*.tmp' }],
  ['ignore', { ignore: [''] }],
  ['ignore', { ignore: [42] }],
  ['ignore', { ignore: ['[unclosed'] }],
  ['debounce', { debounce: '20' }],
  ['debounce', { debounce: -1 }],
  ['debounce', { debounce: 1.5 }],
  ['debounce', { debounce: 2 ** 31 }],
  ['poll', { poll: '500' }],
  ['poll', { poll: 50 }],
  ['poll', { poll: 250.5 }],
  ['poll', { poll: 2 ** 31 }],
  ['poll', { poll: Infinity }],
  ['path', { path: '__livereload' }],
  ['path', { path: '/' }],
  ['path', { path: '/lr/' }],
  ['path', { path: '/lr?x' }],
  ['path', { path: '/:x' }],
  ['path', { path: '/lr/*' }],
  ['path', { path: '/lr/:id(\\d+)' }],
  ['path', { path: '/lr;x' }],
  ['path', { path: '/lr"x' }],
  ['path', { path: '/lr<x>' }],
  ['path', { path: '//lr' }],
  ['path', { path: '/a/../lr' }],
  ['path', { path: '/é' }],
  ['prefix', { prefix: '/:x' }],
  ['prefix', { prefix: '/static/*' }],
  ['prefix', { prefix: '/lib(s)' }],
  ['inject', { inject: 'yes' }],
  ['nonce', { nonce: 'abc' }],
  ['css', { css: 'no' }],
  ['patch', { patch: 'no' }],
  ['enabled', { enabled: 1 }],
  ['allowedOrigins', { allowedOrigins: 'http://a' }],
  ['allowedOrigins', { allowedOrigins: ['not a url'] }],
  ['allowedOrigins', { allowedOrigins: ['file:///tmp/x.html'] }],
  ['allowedHosts', { allowedHosts: 'a.test' }],
  ['allowedHosts', { allowedHosts: ['a.test:8080'] }],
  ['maxClients', { maxClients: 0 }],
  ['watch', { watch: 42 }],
  ['watch', { watch: ['src', ''] }],
  ['builder', { builder: 'npm run build' }],
  ['builder', { builder: { run: () => {} } }],
  ['builder', { builder: { build: () => {}, close: 'no' } }],
  ['buildOnStart', { buildOnStart: 'yes' }],
  ['supersede', { supersede: 1 }],
  ['onBuildStart', { onBuildStart: true }],
  ['onBuildEnd', { onBuildEnd: {} }],
  ['sync', { sync: 'on' }],
  ['sync', { sync: [] }],
  ['sync.mouse', { sync: { mouse: true } }],
  ['sync.clicks', { sync: { clicks: 'no' } }],
  ['sync.scrollElements', { sync: { scrollElements: '#pane' } }],
  ['sync.scrollElements', { sync: { scrollElements: [''] } }],
  ['sync.scrollElements', { sync: { scrollElements: Array.from({ length: 33 }, (_, i) => `#p${i}`) } }]
]

for (const [option, opts] of invalid) {
  t.test(`rejects ${JSON.stringify(opts)} naming option "${option}"`, async t => {
    t.throws(() => resolveOptions(opts as LiveReloadOptions), {
      code: 'FST_LIVERELOAD_INVALID_OPTION',
      name: 'FastifyError',
      message: new RegExp(`option "${option}"`)
    })
  })
}
