// The sharded builder's queue option against its local pool, on the generated docs site
// (examples/docs-site, 2,000 pages in 20 sections): the same full build by the local pool (2
// worker threads) and by two `fastify-livereload shard-worker` processes (one shard at a time
// each: 2 threads too) over BullMQ in a redis-server on loopback, alternated round by round; the
// outputs of both compared byte for byte every round; then a one-page edit on warm builders of
// each kind, alternated too. Uses the built package: `npm run build`, then
// `node bench/shard-queue.js` (BENCH_ROUNDS, DOCS_PAGES to change). Results go to stdout and
// bench/results/shard-queue.md. Needs redis-server on the PATH.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateSite } from '../examples/docs-site/generate.js'
import { docsBuilder } from '../examples/docs-site/site.js'
import { freePort, killAll, percentile } from './lib/harness.js'

/** The docs site's worker module: the only code a shard worker runs. */
const WORKER = fileURLToPath(new URL('../examples/docs-site/worker.js', import.meta.url))

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10)
const PAGES = Number(process.env.DOCS_PAGES ?? 2000)
const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const layout = fileURLToPath(new URL('../examples/docs-site/layout.html', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'livereload-bench-shard-queue-'))
const content = join(dir, 'content')
await generateSite(content, PAGES)
const loadBefore = loadavg()
const startedAt = new Date()

/** redis-server on a free loopback port, nothing persisted; resolves once it accepts connections. */
async function startRedis () {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', code => reject(new Error(`redis-server exited (${code})`)))
    child.stdout.setEncoding('utf8').on('data', chunk => { output += chunk; if (output.includes('Ready to accept connections')) resolve() })
  })
  child.removeAllListeners('exit')
  child.stdout.resume()
  return { url: `redis://127.0.0.1:${port}`, child }
}

/** A shard-worker process of the built bin, one shard at a time; resolves once it takes shards. */
async function startWorker (redis) {
  const child = spawn(process.execPath, [BIN, 'shard-worker', '--redis', redis, '--queue', 'bench', '--worker', WORKER, '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } })
  let output = ''
  await new Promise((resolve, reject) => {
    child.once('exit', code => reject(new Error(`shard-worker exited (${code})\n${output}`)))
    child.stdout.setEncoding('utf8').on('data', chunk => { output += chunk; if (output.includes('taking shards from queue')) resolve() })
  })
  child.removeAllListeners('exit')
  const built = () => (output.match(/shard "[^"]+" built/g) ?? []).length
  return { child, built }
}

const silent = () => {}
const log = { trace: silent, debug: silent, info: silent, warn: silent, error: silent, fatal: silent, child: () => log }

async function timedBuild (builder, changes = []) {
  const started = performance.now()
  const outcome = await builder.build({ changes, full: changes.length === 0, signal: new AbortController().signal, log })
  if (outcome?.errors?.length > 0) throw new Error(`build failed: ${JSON.stringify(outcome.errors[0])}`)
  return performance.now() - started
}

async function tree (root) {
  const files = new Map()
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name).slice(root.length), await readFile(join(entry.parentPath, entry.name)))
  }
  return files
}

/** Files and bytes compared, and the paths that differ (missing on either side, or other bytes). */
async function compare (a, b) {
  const [left, right] = [await tree(a), await tree(b)]
  const paths = new Set([...left.keys(), ...right.keys()])
  const differ = [...paths].filter(path => !(left.has(path) && right.has(path) && left.get(path).equals(right.get(path))))
  return { files: paths.size, bytes: [...left.values()].reduce((sum, bytes) => sum + bytes.length, 0), differ }
}

const redis = await startRedis()
const workers = [await startWorker(redis.url), await startWorker(redis.url)]
const queue = { redis: redis.url, name: 'bench' }
const results = { local: [], queued: [], localEdit: [], queuedEdit: [], compared: [] }
try {
  // Full builds, as on a first start: a fresh builder each round, no cache. The shard workers stay
  // up between rounds (their threads are warm from the second round on, as on a real build farm);
  // the local builder starts its 2 threads every round.
  for (let round = 0; round < ROUNDS; round++) {
    const outs = { local: join(dir, `local-${round}`), queued: join(dir, `queued-${round}`) }
    for (const kind of round % 2 === 0 ? ['local', 'queued'] : ['queued', 'local']) {
      const builder = docsBuilder({ content, out: outs[kind], layout, cache: false, concurrency: 2, queue: kind === 'queued' ? queue : undefined })
      results[kind].push(await timedBuild(builder))
      await builder.close()
    }
    results.compared.push(await compare(outs.local, outs.queued))
    await Promise.all(Object.values(outs).map(out => rm(out, { recursive: true, force: true })))
  }

  // One edited page on warm builders (cached, connected), alternated.
  const warm = {
    local: docsBuilder({ content, out: join(dir, 'warm-local'), layout, cache: join(dir, 'cache-local'), concurrency: 2 }),
    queued: docsBuilder({ content, out: join(dir, 'warm-queued'), layout, cache: join(dir, 'cache-queued'), queue })
  }
  await timedBuild(warm.local)
  await timedBuild(warm.queued)
  const page = join(content, 'routing', (await readdir(join(content, 'routing'))).sort()[3])
  for (let round = 0; round < ROUNDS; round++) {
    await appendFile(page, `\nEdited in round ${round}.\n`)
    for (const kind of round % 2 === 0 ? ['local', 'queued'] : ['queued', 'local']) {
      results[`${kind}Edit`].push(await timedBuild(warm[kind], [{ path: page, type: 'update' }]))
    }
  }
  const editCompared = await compare(join(dir, 'warm-local'), join(dir, 'warm-queued'))
  await Promise.all(Object.values(warm).map(builder => builder.close()))
  const built = workers.map(worker => worker.built())

  const p = (values, q) => percentile(values, q).toFixed(0)
  const identical = results.compared.filter(c => c.differ.length === 0).length
  const { files, bytes } = results.compared[0]
  const lines = [
    '# Sharded builder: local pool vs shard workers over BullMQ',
    '',
    `${startedAt.toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, redis-server on loopback; ${PAGES} pages in 20 shards; ${ROUNDS} rounds of each, alternated. Load average before: ${loadBefore.map(n => n.toFixed(2)).join(', ')}; after: ${loadavg().map(n => n.toFixed(2)).join(', ')}.`,
    '',
    '| build | local pool (2 threads) p50 | p95 | 2 shard-worker processes (1 shard each) p50 | p95 | queue / local, p50 |',
    '| --- | --- | --- | --- | --- | --- |',
    `| full build, fresh builder | ${p(results.local, 50)} ms | ${p(results.local, 95)} ms | ${p(results.queued, 50)} ms | ${p(results.queued, 95)} ms | ${(percentile(results.queued, 50) / percentile(results.local, 50)).toFixed(2)} |`,
    `| one edited page, warm | ${p(results.localEdit, 50)} ms | ${p(results.localEdit, 95)} ms | ${p(results.queuedEdit, 50)} ms | ${p(results.queuedEdit, 95)} ms | ${(percentile(results.queuedEdit, 50) / percentile(results.localEdit, 50)).toFixed(2)} |`,
    '',
    `Outputs: identical in ${identical} of ${ROUNDS} full-build rounds (${files} files, ${bytes} bytes compared each round)${identical === ROUNDS ? '' : `; differing: ${results.compared.flatMap(c => c.differ).slice(0, 5).join(', ')}`}; after the edits: ${editCompared.differ.length === 0 ? 'identical' : `${editCompared.differ.length} files differ`} (${editCompared.files} files, ${editCompared.bytes} bytes).`,
    `Shards built by each worker process: ${built.join(' and ')}.`,
    `Samples (ms): local ${results.local.map(n => n.toFixed(0)).join(', ')}; queue ${results.queued.map(n => n.toFixed(0)).join(', ')}; local edit ${results.localEdit.map(n => n.toFixed(0)).join(', ')}; queue edit ${results.queuedEdit.map(n => n.toFixed(0)).join(', ')}.`
  ]
  console.log(lines.join('\n'))
  await writeFile(fileURLToPath(new URL('./results/shard-queue.md', import.meta.url)), `${lines.join('\n')}\n`)
} finally {
  for (const worker of workers) {
    worker.child.kill('SIGINT')
    await once(worker.child, 'exit')
  }
  redis.child.kill('SIGKILL')
  killAll()
  await rm(dir, { recursive: true, force: true })
}
