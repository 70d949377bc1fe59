// What happens before a cluster forms: a worker without the `cluster` option says, once, that
// it builds on its own; without ioredis installed the option fails at register time; a wrong
// password is said once, and never shown; a user without the permissions the cluster needs is
// said once, with the rule that grants them.
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import t from 'tap'
import { TERM_PHASES } from '../lib/cluster/terms.js'
import { edges, traceTransitions } from '../lib/pipeline/machine.js'
import type { ClusterStats } from '../types/index.js'
import { connectLiveReload } from '../lib/testing.js'
import { eventually } from './helpers/eventually.js'
import { fixture } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { logLines, type LogLine } from './helpers/log.js'
import { startRedis } from './helpers/redis.js'
import { runWithout } from './helpers/without-package.js'

const dist = new URL('../dist/index.js', import.meta.url).href // as an app runs it: built

/** An app registering the plugin twice over (two apps in one process), printing its warnings as JSON lines. */
const app = (options: string): string => `
  const { default: Fastify } = await import('fastify')
  const { default: liveReload } = await import(${JSON.stringify(dist)})
  for (const i of [1, 2]) {
    const app = Fastify({ logger: { level: 'warn', stream: { write: line => process.stdout.write(line) } } })
    await app.register(liveReload, ${options})
    await app.ready()
    await app.close()
  }`

/** Runs `script` as an ES module (a file: node:cluster forks the main module again). */
async function run (script: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const file = join(fixture(t), `script-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, script)
  return await new Promise(resolve => {
    execFile(process.execPath, [file], { env: { ...process.env, ...env }, timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
}

const workerWarnings = (stdout: string): Array<{ worker: string, msg: string, pid: number }> =>
  stdout.split('\n').filter(line => line.startsWith('{')).map(line => JSON.parse(line)).filter(line => /each one watches and builds on its own/.test(line.msg))

t.test('node:cluster workers without the cluster option: each warns once, naming the option', async t => {
  const ran = await run(`
    import cluster from 'node:cluster'
    if (cluster.isPrimary) {
      for (const i of [1, 2]) cluster.fork()
      let exited = 0
      cluster.on('exit', () => { if (++exited === 2) process.exit(0) })
    } else {
      ${app('{ root: false }')}
      process.exit(0)
    }`)
  t.equal(ran.code, 0, ran.stderr)
  const warnings = workerWarnings(ran.stdout)
  t.equal(warnings.length, 2, 'one per worker, though each registered the plugin twice')
  t.equal(new Set(warnings.map(line => line.pid)).size, 2)
  t.match(warnings[0], { worker: 'node:cluster', msg: /\(node:cluster\).*cluster option \(\{ cluster: \{ redis:/ })
})

t.test('under PM2 (NODE_APP_INSTANCE set) it warns too; a lone process does not', async t => {
  const pm2 = await run(app('{ root: false }'), { NODE_APP_INSTANCE: '1' })
  t.equal(pm2.code, 0, pm2.stderr)
  t.match(workerWarnings(pm2.stdout), [{ worker: 'PM2' }])
  t.equal(workerWarnings(pm2.stdout).length, 1)
  const alone = await run(app('{ root: false }'), { NODE_APP_INSTANCE: undefined })
  t.equal(alone.code, 0, alone.stderr)
  t.same(workerWarnings(alone.stdout), [])
})

t.test('the cluster option without ioredis installed: FST_LIVERELOAD_MISSING_DEPENDENCY at register time, naming it', async t => {
  const ran = await runWithout(['ioredis'], `
    const { default: Fastify } = await import('fastify')
    const { default: liveReload } = await import(${JSON.stringify(dist)})
    const app = Fastify()
    app.register(liveReload, { root: false, cluster: { redis: 'redis://127.0.0.1:1' } })
    await app.ready().catch(err => { console.log(err.code, err.message); process.exit(3) })`)
  t.equal(ran.code, 3, ran.stderr)
  t.match(ran.stdout, /^FST_LIVERELOAD_MISSING_DEPENDENCY .*"ioredis" is needed for the cluster option/)
})

t.test('a wrong Redis password: one warning, and no log line carries the password', async t => {
  const redis = await startRedis(t)
  const admin = new Redis(redis.url)
  await admin.config('SET', 'requirepass', 'right-one')
  admin.disconnect()
  const log = logLines()
  const refused = log.next(line => /WRONGPASS/.test(JSON.stringify(line.err ?? '')))
  const { app } = await harness(t, { options: { root: false, cluster: { redis: `redis://:s3cret-wrong@127.0.0.1:${redis.port}` } }, fastify: { logger: log.logger }, listen: false })
  await app.ready()
  await refused
  await app.close()
  t.equal(log.lines.filter(line => line.level === 40).length, 1, 'one warning')
  t.same(log.lines.filter(line => JSON.stringify(line).includes('s3cret-wrong')).map(line => line.msg), [], 'the password in no line')
})

t.test('a Redis user that may only PING: one warning naming what was refused and the rule that grants it, redis: false; granted that, it leads', async t => {
  const redis = await startRedis(t)
  const admin = new Redis(redis.url)
  t.teardown(() => admin.disconnect())
  await admin.acl('SETUSER', 'pinger', 'on', '>pw', '+ping')
  const log = logLines()
  const isRefusal = (line: LogLine): boolean => line.level === 40 && /NOPERM/.test(line.msg)
  const refused = log.next(isRefusal)
  const { app } = await harness(t, { options: { root: false, cluster: { redis: `redis://pinger:pw@127.0.0.1:${redis.port}`, key: 'acl' } }, fastify: { logger: log.logger }, listen: false })
  await app.ready()
  const warning = await refused
  t.match(warning.msg, /NOPERM .*has no permissions to run the '\w+' command/, 'Redis\'s own words: the command refused')
  const status = (await app.inject({ url: '/__livereload/status' })).json<{ cluster: ClusterStats }>()
  t.match(status.cluster, { redis: false, leader: null }, 'the status: Redis not usable, no leader')

  const rule = /ACL SETUSER <user> (.+?)(?:$|: )/.exec(warning.msg)?.[1]
  t.ok(rule, `the warning gives the rule: ${warning.msg}`)
  await admin.acl('SETUSER', 'pinger', ...rule!.split(' '))
  await eventually(() => app.liveReload.stats().cluster?.role === 'leader' && app.liveReload.stats().cluster?.redis === true, 20_000, 'leads, and Redis is usable, once granted')
  t.equal(log.lines.filter(isRefusal).length, 1, 'one warning')
})

t.test('what anyone publishes on the cluster\'s channel reaches browsers only as a message of ours, rebuilt', async t => {
  const redis = await startRedis(t)
  const { app } = await harness(t, { options: { root: false, cluster: { redis: redis.url, key: 'strangers' } } })
  await eventually(() => app.liveReload.stats().cluster?.redis === true, 20_000, 'joined')
  const client = await connectLiveReload(app, { transport: 'socket' })
  const stranger = new Redis(redis.url)
  t.teardown(() => stranger.disconnect())
  const publish = async (message: unknown): Promise<void> => { await stranger.publish('strangers:messages', JSON.stringify({ seq: 1, from: 'x', message })) }
  await publish({ type: 'hello', protocol: 1, instance: 'another' }) // every tab would reload
  await publish({ type: 'sync', path: '/', event: { kind: 'navigate', url: '/x' } })
  await publish({ type: 'reload', paths: '/a' })
  await publish('junk')
  const reloaded = client.next('reload')
  await publish({ type: 'reload', paths: ['/a'], html: '<script>alert(1)</script>' })
  t.same(await reloaded, { type: 'reload', paths: ['/a'] }, 'rebuilt from its fields')
  const cleared = client.next('clear')
  await publish({ type: 'clear' }) // a fence: what was published before it has been read
  await cleared
  t.same(client.messages.map(message => message.type), ['hello', 'reload', 'clear'], 'nothing else reached the browser')
})

t.test('a leader whose term cannot start (its builder\'s watch throws) says so and serves on; the term\'s every transition', async t => {
  const taken = new Set<string>()
  traceTransitions((machine, from, event, to) => { if (machine === 'term') taken.add(`${from} -${event}-> ${to}`) })
  t.teardown(() => traceTransitions(null))
  const redis = await startRedis(t)
  const log = logLines()
  const failed = log.next(line => line.level === 50)
  const { app: broken, dir: root } = await harness(t, {
    files: { 'index.html': '<p>x</p>' },
    options: { cluster: { redis: redis.url, key: 'broken' }, builder: { build: async () => {}, watch: () => { throw new Error('the generator is not installed') } } },
    fastify: { logger: log.logger }
  })
  const error = await failed
  t.match(error, { msg: /its term could not start/, err: { message: 'the generator is not installed' } }, 'the error, and why')
  t.same(broken.liveReload.stats().watched, [], 'nothing left watching')
  t.equal((await broken.inject({ url: '/index.html' })).statusCode, 200, 'it serves on')
  t.match(await broken.liveReload.build(), { ok: false, errors: [{ message: /this process leads, but its term could not start/ }] }, 'a build asked of it says why none runs')
  await broken.close()

  const { app: working } = await harness(t, { options: { root, cluster: { redis: redis.url, key: 'working' } } })
  await eventually(() => working.liveReload.stats().watched.length === 1, 20_000, 'leads and watches')
  await working.close()
  t.same([...taken].sort(), edges(TERM_PHASES).map(([from, event, to]) => `${from} -${event}-> ${to}`).sort(), 'every transition of the term taken')
})
