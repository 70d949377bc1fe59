// With both `cluster` and `metrics`: the leaders a process sees and the errors of its Redis bus
// are counted in the app's registry.
import t from 'tap'
import { Registry } from 'prom-client'
import { eventually } from './helpers/eventually.js'
import { harness } from './helpers/harness.js'
import { startRedis } from './helpers/redis.js'

const WAIT_MS = 20_000

async function value (registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetricAsString(`fastify_livereload_${name}`)
  return Number(/ (\d+)$/m.exec(metric)?.[1] ?? NaN)
}

t.test('leader changes and bus errors are counted', async t => {
  const redis = await startRedis(t)
  const registry = new Registry()
  const { app } = await harness(t, { options: { root: false, metrics: registry, cluster: { redis: redis.url, key: 'metrics-test' } }, listen: false })
  await app.ready()
  await eventually(() => app.liveReload.stats().cluster?.role === 'leader', WAIT_MS, 'leading')
  t.equal(await value(registry, 'leader_changes_total'), 1)
  t.equal(await value(registry, 'bus_errors_total'), 0)

  await redis.stop('SIGKILL')
  let errors = 0
  await eventually(async () => (errors = await value(registry, 'bus_errors_total')) > 0, WAIT_MS, 'a bus error counted')
  t.ok(errors > 0, `${errors} bus errors counted`)
  await eventually(() => app.liveReload.stats().cluster?.role === 'follower', WAIT_MS, 'stepping down')
  t.equal(await value(registry, 'leader_changes_total'), 1, 'a leader unknown is no change counted')
  await redis.start()
  await eventually(() => app.liveReload.stats().cluster?.role === 'leader', WAIT_MS, 'leading again')
  t.equal(await value(registry, 'leader_changes_total'), 2, 'the leader seen again after the outage')
})
