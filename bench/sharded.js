// Measures shardedBuilder on the generated docs site (examples/docs-site, 2,000 pages in 20
// sections, rendered with marked): a full build with 1 worker against all cores, a one-page
// edit against a full build, and a restart with no edits. Uses the built package (dist/): run
// `npm run build` first, then `node bench/sharded.js` (BENCH_ROUNDS, DOCS_PAGES to change).
import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { generateSite } from '../examples/docs-site/generate.js'
import { docsBuilder } from '../examples/docs-site/site.js'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const PAGES = Number(process.env.DOCS_PAGES ?? 2000)
const CORES = availableParallelism()
const layout = fileURLToPath(new URL('../examples/docs-site/layout.html', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'livereload-bench-sharded-'))
const content = join(dir, 'content')
await generateSite(content, PAGES)

/** A logger that keeps the builder's 'shards built' lines: they say how many shards were built. */
function recorder () {
  const lines = []
  const ignore = () => {}
  const log = { trace: ignore, debug: ignore, warn: ignore, error: ignore, fatal: ignore, child: () => log }
  log.info = (obj, msg) => { if (msg === 'shards built') lines.push(obj) }
  return { log, last: () => lines.at(-1) }
}

let cpuMs = 0 // CPU time of the last timed build, worker threads included
async function timedBuild (builder, ctx) {
  const cpu = process.cpuUsage()
  const started = performance.now()
  const outcome = await builder.build({ changes: [], full: false, signal: new AbortController().signal, ...ctx })
  if (outcome?.errors?.length > 0) throw new Error(`build failed: ${JSON.stringify(outcome.errors[0])}`)
  const used = process.cpuUsage(cpu)
  cpuMs = (used.user + used.system) / 1000
  return performance.now() - started
}

/** A first start: a fresh builder (its pool starts too), an empty cache, every shard built. */
async function fullBuild (concurrency, round) {
  const out = join(dir, `out-full-${concurrency}-${round}`)
  const builder = docsBuilder({ content, out, layout, cache: false, concurrency })
  const { log, last } = recorder()
  const ms = await timedBuild(builder, { full: true, log })
  await builder.close()
  await rm(out, { recursive: true, force: true })
  if (last().built !== 20) throw new Error(`expected 20 shards built, got ${last().built}`)
  return ms
}

/**
 * What parallelism the machine offers right now (other processes share it): the same busy
 * loop in 1 thread, then in `threads` threads at once; 2 × 1-thread time / 2-thread time.
 */
async function capacity (threads) {
  const spin = 'let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i) % 7; require("node:worker_threads").parentPort.postMessage(x)'
  const run = async (n) => {
    const started = performance.now()
    await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
      const worker = new Worker(spin, { eval: true })
      worker.once('message', resolve)
      worker.once('error', reject)
    })))
    return performance.now() - started
  }
  const one = await run(1)
  return (threads * one) / await run(threads)
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const results = { one: [], all: [], oneCpu: [], allCpu: [], capacity: [], edit: [], restart: [], restartBuilt: [] }

for (let round = 0; round < ROUNDS; round++) { // alternated, so both see the same machine load
  results.one.push(await fullBuild(1, round))
  results.oneCpu.push(cpuMs)
  results.all.push(await fullBuild(CORES, round))
  results.allCpu.push(cpuMs)
  results.capacity.push(await capacity(CORES))
}

// One edited page on a warm server: the builder (and its pool) as `npm run example:docs` has it.
const out = join(dir, 'out')
const cache = join(dir, 'cache')
const warm = docsBuilder({ content, out, layout, cache, concurrency: CORES })
const { log, last } = recorder()
await timedBuild(warm, { full: true, log })
const routing = (await readdir(join(content, 'routing'))).sort()
const page = join(content, 'routing', routing[Math.floor(routing.length / 2)])
for (let round = 0; round < ROUNDS; round++) {
  await appendFile(page, `\nEdited in round ${round}.\n`)
  results.edit.push(await timedBuild(warm, { changes: [{ path: page, type: 'update' }], log }))
  if (last().built !== 1) throw new Error(`expected 1 shard built, got ${last().built}`)
}
await warm.close()

// A restart with no edits: a new builder on the same cache.
for (let round = 0; round < ROUNDS; round++) {
  const restarted = docsBuilder({ content, out, layout, cache, concurrency: CORES })
  const { log, last } = recorder()
  results.restart.push(await timedBuild(restarted, { full: true, log }))
  results.restartBuilt.push(last().built)
  await restarted.close()
}
await rm(dir, { recursive: true, force: true })

const [one, all, edit, restart] = [median(results.one), median(results.all), median(results.edit), median(results.restart)]
const [oneCpu, allCpu] = [median(results.oneCpu), median(results.allCpu)]
const fmt = (ms) => `${ms.toFixed(0)} ms`
console.log(`shardedBuilder on ${PAGES} pages in 20 shards; ${cpus()[0]?.model ?? 'cpu'}, ${CORES} cores; Node ${process.version}; medians of ${ROUNDS} rounds\n`)
console.log('| measure | median (wall) | ratio | CPU time |')
console.log('| --- | --- | --- | --- |')
console.log(`| full build, 1 worker | ${fmt(one)} | | ${fmt(oneCpu)} |`)
console.log(`| full build, ${CORES} workers | ${fmt(all)} | ${(one / all).toFixed(2)}× faster | ${fmt(allCpu)} |`)
console.log(`| (a busy loop in ${CORES} threads vs 1: the parallelism the machine gave meanwhile) | | ${median(results.capacity).toFixed(2)}× | |`)
console.log(`| one edited page (warm) | ${fmt(edit)} | ${(all / edit).toFixed(1)}× faster than the ${CORES}-worker full build | |`)
console.log(`| restart, no edits | ${fmt(restart)} | shards built: ${results.restartBuilt.join(', ')} | |`)
console.log(`\nload average at the end: ${loadavg().map(n => n.toFixed(2)).join(', ')}`)
