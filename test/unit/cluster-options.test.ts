// The `cluster` option as resolveOptions takes it: checked at register time, before Redis is
// touched; the default key names the site by its root and sources.
import t from 'tap'
import { resolveOptions } from '../../lib/options.js'
import { DEFAULT_CLUSTER_TTL_MS } from '../../lib/cluster/options.js'
import { leaseTimings } from '../../lib/cluster/lease.js'
import { workerOf } from '../../lib/cluster/worker-warning.js'

t.test('absent or false: no cluster', async t => {
  t.equal(resolveOptions({}).cluster, null)
  t.equal(resolveOptions({ cluster: false }).cluster, null)
})

t.test('a URL or ioredis options, the default TTL, and a key derived from root and watch', async t => {
  const cluster = resolveOptions({ root: '/site/dist', watch: ['/site/src'], cluster: { redis: 'redis://127.0.0.1:6379' } }).cluster!
  t.match(cluster, { redis: 'redis://127.0.0.1:6379', ttl: DEFAULT_CLUSTER_TTL_MS, key: /^livereload:[\w-]{16}$/ })
  t.equal(resolveOptions({ root: '/site/dist', watch: '/site/src', cluster: { redis: { host: 'redis', port: 6380 } } }).cluster!.key, cluster.key, 'the same site, the same key')
  t.not(resolveOptions({ root: '/other/dist', watch: ['/site/src'], cluster: { redis: 'redis://127.0.0.1' } }).cluster!.key, cluster.key, 'another root, another key')
  t.not(resolveOptions({ root: '/site/dist', watch: ['/site/other'], cluster: { redis: 'redis://127.0.0.1' } }).cluster!.key, cluster.key, 'other sources, another key')
  t.match(resolveOptions({ cluster: { redis: 'rediss://cache.example:6380', key: 'docs-site', ttl: 10_000 } }).cluster, { key: 'docs-site', ttl: 10_000 })
})

t.test('invalid values fail at register time, naming the option', async t => {
  const cases: Array<[unknown, RegExp]> = [
    [true, /option "cluster" must be an object/],
    [{}, /option "cluster.redis" must be a redis:\/\/ URL or an object/],
    [{ redis: 'http://127.0.0.1:6379' }, /option "cluster.redis" must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ redis: 'not a url' }, /option "cluster.redis" must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ redis: 'redis://x', key: '' }, /option "cluster.key" must be 1 to 100 letters/],
    [{ redis: 'redis://x', key: 'has space' }, /option "cluster.key"/],
    [{ redis: 'redis://x', ttl: 100 }, /option "cluster.ttl" must be an integer of at least 600 \(ms\)/],
    [{ redis: 'redis://x', ttl: '3000' }, /option "cluster.ttl"/],
    [{ redis: 'redis://x', lease: 1 }, /option "cluster.lease" is not an option; known: redis, key, ttl/],
    [{ redis: { port: 'x' } }, /option "cluster.redis.port" must be a positive integer, at most 65535/],
    [{ redis: { host: '127.0.0.1', port: 70000 } }, /option "cluster.redis.port"/],
    [{ redis: { host: 5 } }, /option "cluster.redis.host" must be an address/],
    [{ redis: { path: '' } }, /option "cluster.redis.path" must be the path of a Unix socket/],
    [{ redis: { db: -1 } }, /option "cluster.redis.db"/]
  ]
  for (const [cluster, message] of cases) {
    t.throws(() => resolveOptions({ cluster } as never), { code: 'FST_LIVERELOAD_INVALID_OPTION', message }, JSON.stringify(cluster))
  }
})

t.test('the lease\'s timings: renewed every quarter of its TTL, given up a third before it ends', async t => {
  t.same(leaseTimings(3000), { renewMs: 750, stepDownMs: 2000 })
  t.ok(DEFAULT_CLUSTER_TTL_MS <= 5000, 'a killed leader is replaced within 5 s by default: when its lease expires')
  t.ok(leaseTimings(DEFAULT_CLUSTER_TTL_MS).stepDownMs < DEFAULT_CLUSTER_TTL_MS)
})

t.test('a worker is told from node:cluster and from PM2\'s NODE_APP_INSTANCE', async t => {
  t.equal(workerOf({}, true), 'node:cluster')
  t.equal(workerOf({ NODE_APP_INSTANCE: '2' }, false), 'PM2')
  t.equal(workerOf({}, false), null)
})
