// The sharded builder's queue option: shards as BullMQ jobs in a real redis-server, built by
// real shard-worker processes (the built bin) or by runShardWorker() in this process.
import { existsSync, mkdirSync, readFileSync, symlinkSync, watch } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Queue, QueueEvents, Worker } from 'bullmq'
import t, { type Test } from 'tap'
import type { BuildContext, BuildErrorInfo, BuildOutcome, ShardedBuilderOptions } from '../types/index.js'
import { shardedBuilder } from '../lib/builders/sharded/sharded.js'
import { runShardWorker } from '../lib/builders/sharded/shard-worker.js'
import { generateSite } from '../examples/docs-site/generate.js'
import { docsBuilder } from '../examples/docs-site/site.js'
import { connectLiveReload } from '../lib/testing.js'
import { runCommand, type Command } from './helpers/cli.js'
import { eventually } from './helpers/eventually.js'
import { fixture, type Files } from './helpers/fixture.js'
import { harness } from './helpers/harness.js'
import { collectingLogger } from './helpers/log.js'
import { isAlive } from './helpers/process.js'
import { startRedis, type RedisServer } from './helpers/redis.js'
import { runWithout } from './helpers/without-package.js'

// Three tests at a time: each has a redis-server, a site and workers of its own, and most of their
// time is spent waiting (a worker's cold start, a dead worker's job coming back), not computing:
// one at a time, the file took 60 s for 14 s of CPU.
t.jobs = 3

const WORKER = new URL('./fixtures/sharded/worker-pid.js', import.meta.url)
const WORKER_PATH = fileURLToPath(WORKER)
/** A shard-worker process's cold start, or a dead worker's job coming back (~5–7 s), on a loaded machine. */
const PATIENCE_MS = 45_000

type Built = Omit<BuildOutcome, 'errors'> & { errors?: BuildErrorInfo[] }

function ctx (signal = new AbortController().signal, full = true): BuildContext {
  return { changes: [], full, signal, log: collectingLogger().log }
}

/** A site of `files` under src/, and a sharded builder of it whose shards go over `redis`'s queue "q". */
function site (t: Test, redis: RedisServer, files: Files, options: Partial<ShardedBuilderOptions> = {}) {
  const dir = fixture(t, { src: files, calls: '', pids: '' })
  const paths = { dir, src: join(dir, 'src'), out: join(dir, 'out'), calls: join(dir, 'calls'), pids: join(dir, 'pids') }
  const builder = shardedBuilder({
    worker: WORKER,
    sources: paths.src,
    include: '**/*.md',
    cache: false,
    execArgv: [], // not tap's loader and coverage hooks in the worker threads
    workerData: { src: paths.src, out: paths.out, calls: paths.calls, pids: paths.pids },
    queue: { redis: redis.url, name: 'q' },
    output: paths.out,
    ...options
  })
  t.teardown(() => builder.close?.())
  /** "<key> <pid>" for each shard a worker started, in order. */
  const ran = (): string[] => readFileSync(paths.pids, 'utf8').split('\n').filter(Boolean)
  return { ...paths, builder, ran }
}

/**
 * A dead worker's shard comes back after about 1.4 of this (ms): shorter than the default 5 s, and
 * still four times the renewal's slack a loaded machine needs (a renewal every second).
 */
const STALL_TIMEOUT = '2000'

/** The real bin's shard worker on queue "q" for `worker`, connected. */
async function startWorker (t: Test, redis: RedisServer, worker = WORKER_PATH): Promise<Command> {
  const command = runCommand(t, ['shard-worker', '--redis', redis.url, '--queue', 'q', '--worker', worker, '--concurrency', '1', '--stall-timeout', STALL_TIMEOUT])
  await command.line(/taking shards from queue "q"/)
  return command
}

/** A queue handle of the test's own, to look into Redis. */
function inspect (t: Test, redis: RedisServer, name = 'q'): Queue {
  const queue = new Queue(name, { connection: { url: redis.url } })
  t.teardown(() => queue.close())
  return queue
}

async function tree (dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name).slice(dir.length), await readFile(join(entry.parentPath, entry.name)))
  }
  return files
}

t.test('the docs site built by two shard-worker processes is byte for byte what the local pool builds', async t => {
  const redis = await startRedis(t)
  const dir = fixture(t)
  const content = join(dir, 'content')
  const layout = new URL('../examples/docs-site/layout.html', import.meta.url).pathname
  await generateSite(content, 200)
  const docsWorker = fileURLToPath(new URL('../examples/docs-site/worker.js', import.meta.url))
  const workers = await Promise.all([startWorker(t, redis, docsWorker), startWorker(t, redis, docsWorker)])

  const local = docsBuilder({ content, out: join(dir, 'local'), layout, cache: false, concurrency: 2, execArgv: [] }) // not tap's loader and coverage hooks in the worker threads
  t.teardown(() => local.close?.())
  const queued = docsBuilder({ content, out: join(dir, 'queued'), layout, cache: false, queue: { redis: redis.url, name: 'q' } })
  t.teardown(() => queued.close?.())
  t.equal((await local.build(ctx()) as Built).errors, undefined)
  t.equal((await queued.build(ctx()) as Built).errors, undefined)

  const [a, b] = [await tree(join(dir, 'local')), await tree(join(dir, 'queued'))]
  t.equal(a.size, 203, '200 pages, the home page, the sitemap and the search index')
  t.same([...b.keys()].sort(), [...a.keys()].sort(), 'the same files')
  const different = [...a].filter(([path, bytes]) => !bytes.equals(b.get(path) ?? Buffer.alloc(0)))
  t.same(different.map(([path]) => path), [], 'the same bytes')
  const built = workers.map(worker => worker.lines.filter(line => /shard "[^"]+" built/.test(line)).length)
  t.equal(built[0] + built[1], 20, `the 20 sections were built by the workers (${built.join(' + ')})`)
})

t.test('the shards spread over the connected workers', async t => {
  const redis = await startRedis(t)
  const pages: Files = { a: { 'p.md': 'SLOW 1500' } }
  for (let i = 0; i < 5; i++) pages[`s${i}`] = { 'p.md': `page ${i}` }
  const s = site(t, redis, pages)
  const workers = await Promise.all([startWorker(t, redis), startWorker(t, redis)])
  const queue = inspect(t, redis)
  t.equal(await queue.getWorkersCount(), 2, 'connected, as they said')

  // One shard at a time each: while one sleeps over shard "a", the other takes the rest.
  t.equal((await s.builder.build(ctx()) as Built).errors, undefined)
  const pids = new Set(s.ran().map(line => Number(line.split(' ')[1])))
  t.same([...pids].sort(), workers.map(worker => worker.child.pid).sort(), 'both workers built shards')
  t.equal(s.ran().length, 6, 'each shard once')
  t.equal(readFileSync(join(s.out, 's3/p.html'), 'utf8'), 'PAGE 3')
  const counts = await queue.getJobCounts()
  t.ok(Object.values(counts).every(count => count === 0), `no job is left in Redis: ${JSON.stringify(counts)}`)
})

t.test('job data is data: a job that names another module or carries Node.js flags runs none of them', async t => {
  const redis = await startRedis(t)
  const dir = fixture(t, {
    'evil.js': "import { writeFileSync } from 'node:fs'\nwriteFileSync(new URL('./ran-module', import.meta.url), 'x')\n",
    'evil.cjs': "require('node:fs').writeFileSync(__dirname + '/ran-require', 'x')\n",
    src: { a: { 'p.md': 'page a' } },
    calls: '',
    pids: ''
  })
  await startWorker(t, redis)
  const queue = inspect(t, redis)
  // From the stream's start: from its newest event when the first read is sent (the default), a
  // job that ended before that read was never heard of (a hang seen under load on Node 24).
  const events = new QueueEvents('q', { connection: { url: redis.url }, lastEventId: '0-0' })
  t.teardown(() => events.close())
  await events.waitUntilReady()
  const task = { key: 'a', files: [join(dir, 'src/a/p.md')], changes: [], full: true, workerData: { src: join(dir, 'src'), out: join(dir, 'out'), calls: join(dir, 'calls'), pids: join(dir, 'pids') } }
  const job = { worker: WORKER_PATH, generation: 'ab12', timeout: 10_000, maxMemory: null, task }
  /** The job's result; rejects with the reason the worker failed it. */
  const run = async (data: unknown): Promise<unknown> => await (await queue.add('a', data as never, { attempts: 1 })).waitUntilFinished(events)

  await t.rejects(run({ ...job, worker: join(dir, 'evil.js') }), /this shard worker runs .*worker-pid\.js; the job is for .*evil\.js/)
  t.notOk(existsSync(join(dir, 'ran-module')), 'the module a job named never ran')
  const imported = join(dir, 'ran-import')
  const flags = ['--require', join(dir, 'evil.cjs'), '--import', `data:text/javascript,${encodeURIComponent(`import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(imported)}, 'x')`)}`]
  t.match(await run({ ...job, execArgv: flags }), { outputs: [join(dir, 'out/a/p.html')] }, 'a job with flags is built as any other')
  t.notOk(existsSync(join(dir, 'ran-require')), 'with the worker\'s own flags: no --require from the job')
  t.notOk(existsSync(imported), 'nor its --import')
  const malformed: Array<[string, unknown]> = [
    ['null', null], ['a string', 'job'], ['a timeout of 1e20', { ...job, timeout: 1e20 }], ['a negative maxMemory', { ...job, maxMemory: -1 }],
    ['a generation that is a path', { ...job, generation: '../x' }], ['a relative file', { ...job, task: { ...task, files: ['relative.md'] } }],
    ['an unknown change type', { ...job, task: { ...task, changes: [{ path: '/a', type: 'rm' }] } }]
  ]
  for (const [what, data] of malformed) await t.rejects(run(data), /shard job/, `refused: ${what}`)
})

t.test('a reply naming an output outside the output directory fails its shard, and that file is never pruned', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'page a' } })
  const precious = join(s.dir, 'precious.txt')
  await writeFile(precious, 'keep me')
  let reply: unknown = { outputs: [precious], data: null }
  const rogue = new Worker('q', async () => reply, { connection: { url: redis.url } }) // anyone who can write to that Redis
  t.teardown(() => rogue.close())
  await rogue.waitUntilReady()
  t.match((await s.builder.build(ctx()) as Built).errors, [{ message: `shard "a" failed: its worker reported ${precious} as an output, outside the output directory ${s.out}: none of the shard's outputs are kept` }])
  reply = { outputs: [join(s.out, '../precious.txt')], data: null }
  t.match((await s.builder.build(ctx()) as Built).errors, [{ message: /outside the output directory/ }], 'nor through ..')
  reply = 'not a result'
  t.match((await s.builder.build(ctx()) as Built).errors, [{ message: 'shard "a" failed: its worker replied with no list of absolute output paths' }])
  reply = { outputs: [], data: null }
  t.equal((await s.builder.build(ctx()) as Built).errors, undefined, 'a reply within it is taken')
  t.equal(readFileSync(precious, 'utf8'), 'keep me', 'and the file outside was never pruned')

  // A link inside the output directory that leads out of it: named, kept, but never pruned through.
  mkdirSync(s.out, { recursive: true })
  symlinkSync(s.dir, join(s.out, 'link'))
  reply = { outputs: [join(s.out, 'link/precious.txt')], data: null }
  await writeFile(join(s.src, 'a/p.md'), 'page a, 2') // a shard to build again
  t.equal((await s.builder.build(ctx()) as Built).errors, undefined)
  reply = { outputs: [], data: null }
  await writeFile(join(s.src, 'a/p.md'), 'page a, 3')
  t.equal((await s.builder.build(ctx()) as Built).errors, undefined)
  t.equal(readFileSync(precious, 'utf8'), 'keep me', 'pruning does not follow a link out of the output directory')
})

t.test('a worker killed under a shard: another worker builds it, and the build succeeds', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'SLOW 2000' } })
  const workers = await Promise.all([startWorker(t, redis), startWorker(t, redis)])
  const building = s.builder.build(ctx()) as Promise<Built>
  await eventually(() => s.ran().length === 1, PATIENCE_MS, 'shard "a" started')
  const first = workers.find(worker => worker.child.pid === Number(s.ran()[0]!.split(' ')[1]))!
  first.child.kill('SIGKILL')
  const other = workers.find(worker => worker !== first)!
  t.equal((await building).errors, undefined, 'built')
  t.same(s.ran(), [`a ${first.child.pid}`, `a ${other.child.pid}`], 'by the other worker, the second time')
  t.equal(readFileSync(join(s.out, 'a/p.html'), 'utf8'), 'SLOW 2000')
  await other.line(/a shard came back from a worker that stopped answering/)
})

t.test('a worker killed under a shard: the shard runs again on another; a second death fails that shard', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'SLOW 600000' }, b: { 'p.md': 'page b' } })
  const workers = await Promise.all([startWorker(t, redis), startWorker(t, redis), startWorker(t, redis)])
  const started = Date.now()
  const building = s.builder.build(ctx()) as Promise<Built>
  const killRunner = async (nth: number): Promise<number> => {
    await eventually(() => s.ran().filter(line => line.startsWith('a ')).length >= nth, PATIENCE_MS, `shard "a" started ${nth} time(s)`)
    const pid = Number(s.ran().filter(line => line.startsWith('a '))[nth - 1]!.split(' ')[1])
    const runner = workers.find(worker => worker.child.pid === pid)!
    const exited = runner.exited
    runner.child.kill('SIGKILL')
    await exited
    return pid
  }
  const first = await killRunner(1)
  const second = await killRunner(2)
  t.not(second, first, 'the second run was on another worker')
  const { errors } = await building
  t.match(errors, [{ message: 'shard "a" failed: the shard workers running it died (job stalled more than allowable limit)' }])
  t.equal(errors?.length, 1, 'the other shard was built')
  t.equal(readFileSync(join(s.out, 'b/p.html'), 'utf8'), 'PAGE B')
  t.equal(s.ran().filter(line => line.startsWith('a ')).length, 2, 'shard "a" ran twice, never a third time')
  t.comment(`two deaths to a failed shard in ${Date.now() - started} ms`)
})

t.test('an overtaken build deletes its waiting jobs; the running shard finishes first', async t => {
  const redis = await startRedis(t)
  const pages: Files = {}
  for (let i = 0; i < 8; i++) pages[`s${i}`] = { 'p.md': i === 0 ? 'SLOW 1000' : `page ${i}` }
  const s = site(t, redis, pages, { queue: { redis: redis.url } }) // the default name, derived from cwd
  const worker = await runShardWorker({ redis: redis.url, worker: WORKER, execArgv: [], concurrency: 1 })
  t.teardown(() => worker.close())
  const queue = inspect(t, redis, worker.name)
  const watcher = watch(s.pids) // the first shard writes its line as it starts
  t.teardown(() => watcher.close())
  const controller = new AbortController()
  const startedShard = once(watcher, 'change')
  const building = s.builder.build(ctx(controller.signal)) as Promise<Built>
  await startedShard
  controller.abort()
  t.match((await building).errors, [{ message: 'the build was aborted' }])
  t.same(await queue.getJobCounts('waiting', 'active'), { waiting: 0, active: 0 }, 'nothing left to run')
  await worker.close() // waits for a running shard, were there one
  t.same(s.ran(), [`s0 ${process.pid}`], 'only the shard that had started ran')
  t.ok(existsSync(join(s.out, 's0/p.html')), 'and it was finished, not cut off')
})

t.test('no worker connected: the build fails within the timeout, saying how to start one', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'page a' } }, { queue: { redis: redis.url, name: 'q', workerTimeout: 1500 } })
  const started = Date.now()
  const { errors } = await s.builder.build(ctx()) as Built
  const elapsed = Date.now() - started
  t.match(errors, [{ message: `no shard worker is connected to the queue "q" on Redis at ${redis.url} (waited 1500 ms): start one on a machine that sees these files, with \`fastify-livereload shard-worker --redis ${redis.url} --queue q --worker ${WORKER_PATH}\`` }])
  t.comment(`failed ${elapsed} ms after the build began`)
  t.same(await inspect(t, redis).getJobCounts('waiting'), { waiting: 0 }, 'no job was left behind')
})

t.test('the last worker gone while its shard runs: the build fails after the timeout instead of waiting', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'SLOW 600000' } }, { queue: { redis: redis.url, name: 'q', workerTimeout: 1500 } })
  const worker = await startWorker(t, redis)
  const building = s.builder.build(ctx()) as Promise<Built>
  let early: Built | undefined
  building.then(built => { early = built }, () => {})
  await eventually(() => s.ran().length === 1 || early !== undefined, PATIENCE_MS, 'the shard started')
  t.same(early?.errors, undefined, 'the build did not end before its shard started')
  worker.child.kill('SIGKILL')
  const killed = Date.now()
  t.match((await building).errors, [{ message: /^no shard worker is connected to the queue "q"/ }])
  t.comment(`failed ${Date.now() - killed} ms after the kill`)
})

t.test('Redis unreachable: the build fails within the timeout, naming it; close does not hang', async t => {
  const redis = await startRedis(t)
  await redis.stop()
  const s = site(t, redis, { a: { 'p.md': 'page a' } }, { queue: { redis: redis.url, name: 'q', workerTimeout: 1500 } })
  const { errors } = await s.builder.build(ctx()) as Built
  t.match(errors, [{ message: new RegExp(`^cannot reach Redis at ${redis.url.replace(/\./g, '\\.')} for the shard queue "q" \\(waited 1500 ms\\): .*ECONNREFUSED`) }])
  await t.resolves(async () => { await s.builder.close?.() }, 'closed (a close that hung would be this test\'s timeout)')
})

t.test('through the plugin: an edit is built by a shard worker and reloads the browsers once', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'page a' }, b: { 'p.md': 'page b' } })
  const worker = await runShardWorker({ redis: redis.url, worker: WORKER, execArgv: [], name: 'q', concurrency: 1 })
  t.teardown(() => worker.close())
  const errors: string[] = []
  const { app } = await harness(t, { options: { root: s.out, watch: [s.src], builder: s.builder, onBuildEnd: report => { errors.push(...report.errors.map(error => error.message)) } }, listen: false })
  t.same(s.ran().map(line => line.split(' ')[0]).sort(), ['a', 'b'], `the start-up build${errors.length > 0 ? `, which failed: ${errors.join('; ')}` : ''}`)
  const client = await connectLiveReload(app, { transport: 'socket' })
  const reload = client.next('reload')
  await writeFile(join(s.src, 'b/p.md'), 'page b, saved')
  t.same((await reload).paths, ['/b/p.html'])
  t.match((await app.inject('/b/p.html')).body, 'PAGE B, SAVED')
  t.equal(s.ran().length, 3, 'one more shard built')
  t.equal(client.messages.filter(message => message.type === 'reload').length, 1)
})

t.test('Redis restarted: the builder and a worker connect again by themselves, with one warning each', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'page a' } }, { queue: { redis: redis.url, name: 'q', workerTimeout: 1500 } })
  const worker = await startWorker(t, redis)
  const { log, lines } = collectingLogger()
  let edits = 0
  const build = async (): Promise<Built> => { // an edit each time: a shard to send
    await writeFile(join(s.src, 'a/p.md'), `page a, edit ${++edits}`)
    return await s.builder.build({ ...ctx(), log }) as Built
  }
  t.equal((await build()).errors, undefined, 'built before')
  await redis.stop()
  t.match((await build()).errors, [{ message: /^cannot reach Redis at / }], 'Redis gone: the build fails, saying so')
  t.match((await build()).errors, [{ message: /^cannot reach Redis at / }], 'and again')
  await redis.start()
  // Reconnecting is ioredis's backoff (1 s, growing): the worker is back once Redis lists it again.
  const queue = inspect(t, redis)
  await eventually(async () => await queue.getWorkersCount() > 0, PATIENCE_MS, 'the worker listed again')
  t.equal((await build()).errors, undefined, 'built after, with no restart')
  t.equal(readFileSync(join(s.out, 'a/p.html'), 'utf8'), `PAGE A, EDIT ${edits}`)
  t.equal(lines.filter(line => line.msg === 'the shard queue cannot reach Redis; retrying').length, 1, 'one warning for the outage')
  t.equal(worker.lines.filter(line => /cannot reach Redis/.test(line)).length, 1, 'the worker warned once too')
  t.equal(worker.child.exitCode, null, 'the worker kept running')
})

t.test('Redis gone for good: the builder closes and a worker stops on Ctrl-C all the same', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'page a' } })
  const worker = await startWorker(t, redis)
  t.equal((await s.builder.build(ctx()) as Built).errors, undefined, 'connected and built')
  await redis.stop()
  await worker.line(/cannot reach Redis/)
  await t.resolves(async () => { await s.builder.close?.() }, 'the builder closed (a close that hung would be this test\'s timeout)')
  worker.child.kill('SIGINT')
  t.equal(await worker.exited, 0, 'the worker exited 0')
})

t.test('Ctrl-C: the worker finishes its running shard, delivers it and exits 0', async t => {
  const redis = await startRedis(t)
  const s = site(t, redis, { a: { 'p.md': 'SLOW 1500' } })
  const worker = await startWorker(t, redis)
  const building = s.builder.build(ctx()) as Promise<Built>
  await eventually(() => s.ran().length === 1, PATIENCE_MS, 'the shard started')
  worker.child.kill('SIGINT')
  t.equal((await building).errors, undefined, 'the shard was built')
  t.equal(await worker.exited, 0)
  t.match(worker.lines.join('\n'), /stopping: the running shards finish first\n.*shard "a" built \(1 files/)
  t.notOk(isAlive(worker.child.pid!), 'no process is left')
})

t.test('an idle worker stops at once on SIGTERM, exit 0', async t => {
  const redis = await startRedis(t)
  const worker = await startWorker(t, redis)
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0)
})

t.test('bad flags exit 2 naming the flag', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['shard-worker'], /shard-worker needs --redis <url>/],
    [['shard-worker', '--redis', 'http://127.0.0.1:6379'], /--redis takes a redis:\/\/ or rediss:\/\/ URL, got "http:\/\/127\.0\.0\.1:6379"/],
    [['shard-worker', '--redis', 'redis://127.0.0.1'], /shard-worker needs --worker <module>/],
    [['shard-worker', '--redis', 'redis://127.0.0.1', '--worker', 'w.js', '--concurrency', '0'], /--concurrency takes a positive integer, got "0"/],
    [['shard-worker', '--redis', 'redis://127.0.0.1', '--worker', 'w.js', '--queue', 'a:b'], /--queue takes a queue name without ":", got "a:b"/],
    [['shard-worker', '--redis', 'redis://127.0.0.1', '--worker', 'w.js', '--stall-timeout', '100'], /--stall-timeout takes milliseconds from 500 to 2147483647, got "100"/],
    [['shard-worker', '--redis', 'redis://127.0.0.1', '--port', '1'], /unknown option --port/]
  ]
  for (const [args, message] of cases) {
    const command = runCommand(t, args)
    t.equal(await command.exited, 2, args.join(' '))
    t.match(command.stderr(), message)
  }
})

t.test('bad options throw (or reject) FST_LIVERELOAD_INVALID_OPTION naming them', async t => {
  const good = { worker: 'w.js', sources: 'src', output: 'out' }
  t.throws(() => shardedBuilder({ worker: 'w.js', sources: 'src', queue: { redis: 'redis://x' } }), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /shardedBuilder\.output" is required with queue/ })
  for (const queue of [null, 'redis://x', {}, { redis: 'http://x' }, { redis: 6379 }, { redis: 'redis://x', name: '' }, { redis: 'redis://x', name: 'a:b' }, { redis: 'redis://x', workerTimeout: 0 }, { redis: 'redis://x', retries: 2 }]) {
    t.throws(() => shardedBuilder({ ...good, queue } as unknown as ShardedBuilderOptions), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /shardedBuilder\.queue/ }, JSON.stringify(queue))
  }
  for (const options of [{}, { redis: 'x', worker: 'w.js' }, { redis: 'redis://x' }, { redis: 'redis://x', worker: 'w.js', concurrency: 0 }, { redis: 'redis://x', worker: 'w.js', name: 'a:b' }, { redis: 'redis://x', worker: 'w.js', execArgv: '--a' }, { redis: 'redis://x', worker: 'w.js', stallTimeout: 100 }, { redis: 'redis://x', worker: 'w.js', port: 1 }]) {
    await t.rejects(runShardWorker(options as never), { code: 'FST_LIVERELOAD_INVALID_OPTION', message: /runShardWorker\./ }, JSON.stringify(options))
  }
})

t.test('without bullmq installed, the builder\'s first build and runShardWorker fail naming it', async t => {
  const dir = fixture(t, { src: { 'a.md': 'page a' }, 'worker.js': 'export function buildShard () {}\n' })
  const index = new URL('../dist/index.js', import.meta.url).href // as an app runs it: built
  const ran = await runWithout(['bullmq'], `
    const { shardedBuilder, runShardWorker } = await import(${JSON.stringify(index)})
    const builder = shardedBuilder({ worker: 'worker.js', sources: 'src', cwd: ${JSON.stringify(dir)}, cache: false, output: 'out', queue: { redis: 'redis://127.0.0.1:1' } })
    const log = { info () {}, debug () {}, warn () {}, error () {}, child () { return log } }
    await builder.build({ changes: [], full: true, signal: new AbortController().signal, log }).then(() => console.log('built'), err => console.log(err.code, err.message))
    await runShardWorker({ redis: 'redis://127.0.0.1:1', worker: 'worker.js' }).then(() => console.log('running'), err => console.log(err.code, err.message))`)
  t.equal(ran.code, 0, ran.stderr)
  const [builder, worker] = ran.stdout.trim().split('\n')
  t.match(builder, /^FST_LIVERELOAD_MISSING_DEPENDENCY .*"bullmq" is needed for the sharded builder's queue option/)
  t.match(worker, /^FST_LIVERELOAD_MISSING_DEPENDENCY .*"bullmq" is needed for the shard worker/)
  const bin = new URL('../dist/cli.js', import.meta.url).href
  const command = await runWithout(['bullmq'], `process.argv.splice(1, Infinity, 'main.js', 'shard-worker', '--redis', 'redis://127.0.0.1:1', '--worker', 'worker.js'); await import(${JSON.stringify(bin)})`)
  t.equal(command.code, 1, 'the command exits 1')
  t.match(command.stderr, /"bullmq" is needed for the shard worker: install it/)
})
