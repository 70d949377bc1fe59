// Bursts, saves and build ends (issue 22), each beside raw @parcel/watcher in the same run.
// Plain script: `npm run build` first, then `node bench/bursts.js`. Results go to stdout and
// bench/results/bursts.md (a run of some sections: bursts-<sections>.md).
//
// BURSTS_N bursts per pattern (default 20), SAVES_N saves per way (20), BUILDS_N builds per
// case (15); BURSTS_PATTERNS (sync,promise8,waves,tar,git,cp), BURSTS_PLACES (tmpfs,disk),
// BURSTS_LOADS (idle,busy) select a part; BURSTS_SECTIONS (bursts,saves,builds) too;
// BURSTS_TOGETHER=1 runs the tools of a burst row at once.
// BURSTS_DEADLINE_S (default 7200) bounds the whole run.
//
// Bursts: the plugin, a builder watching the same tree and raw @parcel/watcher each run in a
// process of their own (bench/server.js), as dev servers do, and meet the bursts one after the
// other, each alone (BURSTS_TOGETHER=1: all three at once). Saves and build ends run the plugin
// in this process.
//
// Clocks: every time is CLOCK_MONOTONIC (process.hrtime), the same in every process and thread.
// The last write of a burst is the writer's own clock after its last write (threads), or the
// child's exit (tar, git, cp).
import { execFile, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import watcher from '@parcel/watcher'
import Fastify from 'fastify'
import WebSocket from 'ws'
import liveReload, { commandBuilder } from '../dist/index.js'
import { connectClient, fmt, killAll, median, now as clock, percentile, sleep, startTool } from './lib/harness.js'

const require = createRequire(import.meta.url)
const env = (name, fallback) => process.env[name] ?? fallback
const list = (name, fallback) => env(name, fallback).split(',')
const N = Number(env('BURSTS_N', 20))
const SAVES_N = Number(env('SAVES_N', 20))
const BUILDS_N = Number(env('BUILDS_N', 15))
const PATTERNS = list('BURSTS_PATTERNS', 'sync,promise8,waves,tar,git,cp')
const PLACES = list('BURSTS_PLACES', 'tmpfs,disk')
const LOADS = list('BURSTS_LOADS', 'idle,busy')
const SECTIONS = list('BURSTS_SECTIONS', 'bursts,saves,builds')
const DIRS = 20
const PER_DIR = 100
/** A burst is over for counting once nothing has arrived for this long (ms) after its last write. */
const SETTLE_MS = 1000
/** Between bursts: the watcher delivers the first event after 500 ms of idle at once. */
const IDLE_MS = 700

const deadline = setTimeout(() => { console.error('bursts: deadline passed, run failed'); process.exit(2) }, Number(env('BURSTS_DEADLINE_S', 7200)) * 1000)
const places = { tmpfs: '/dev/shm', disk: env('BENCH_TMP', tmpdir()) }

const busy = []
function loadCores (on) {
  for (const child of busy.splice(0)) child.kill('SIGKILL')
  if (on) for (let i = 0; i < 2; i++) busy.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }))
}
process.on('exit', () => { loadCores(false); killAll() })

function tree (dir, text) {
  for (let d = 0; d < DIRS; d++) {
    mkdirSync(join(dir, `d${d}`), { recursive: true })
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `d${d}`, `${f}.html`), `<p>${text} ${f}</p>`)
  }
}

/** A worker that writes the tree on request and answers with the time of its last write. */
function writerThread () {
  return new Worker(`
    const { parentPort } = require('node:worker_threads')
    const { writeFileSync, promises: fsp } = require('node:fs')
    const clock = () => Number(process.hrtime.bigint()) / 1e6
    const pause = ms => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
    parentPort.on('message', async ({ how, files }) => {
      if (how === 'sync') for (const [f, c] of files) writeFileSync(f, c)
      if (how === 'waves') for (let w = 0; w < 3; w++) { if (w > 0) pause(30); for (const [f, c] of files.slice(w * 600, (w + 1) * 600)) writeFileSync(f, c) }
      if (how === 'promise8') for (let i = 0; i < files.length; i += 8) await Promise.all(files.slice(i, i + 8).map(([f, c]) => fsp.writeFile(f, c)))
      if (how === 'save-sync') { const at = clock(); writeFileSync(files[0][0], files[0][1]); return parentPort.postMessage(at) }
      if (how === 'save-promise') { const at = clock(); await fsp.writeFile(files[0][0], files[0][1]); return parentPort.postMessage(at) }
      if (how === 'save-rename') { const at = clock(); writeFileSync(files[0][0] + '.tmp', files[0][1]); require('node:fs').renameSync(files[0][0] + '.tmp', files[0][0]); return parentPort.postMessage(at) }
      parentPort.postMessage(clock())
    })`, { eval: true })
}
const ask = (worker, message) => new Promise(resolve => { worker.once('message', resolve); worker.postMessage(message) })
const run = (cmd, args) => new Promise((resolve, reject) => execFile(cmd, args, err => err ? reject(err) : resolve(clock())))

/** Listens on loopback and connects one WebSocket client that records each message with its arrival. */
async function serve (options) {
  const app = Fastify()
  await app.register(liveReload, options)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address()
  const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`, { headers: { origin: `http://127.0.0.1:${port}` } })
  const messages = []
  ws.on('message', data => messages.push({ at: clock(), ...JSON.parse(String(data)) }))
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  return { app, messages, close: async () => { ws.terminate(); await app.close() } }
}

/** Raw @parcel/watcher on `dir`: its batches, each with its arrival and paths. */
async function raw (dir) {
  const batches = []
  const subscription = await watcher.subscribe(dir, (err, events) => { if (err === null) batches.push({ at: clock(), paths: events.map(e => e.path) }) }, { ignore: ['.git'] })
  return { batches, close: () => subscription.unsubscribe() }
}

/** Raw @parcel/watcher on `dir` in a process of its own (bench/server.js): its batches' arrivals. */
async function rawProcess (dir) {
  const tool = await startTool('parcel', { root: dir, ignore: ['.git'] })
  const client = await connectClient('parcel', tool.port)
  const batches = []
  client.on('message', at => batches.push({ at }))
  return { batches, close: async () => { client.close(); await tool.stop() } }
}

const outcome = (messages) => messages.filter(m => m.type !== 'hello' && m.type !== 'building')

// ---------------------------------------------------------------------------------------------
async function bursts () {
  const rows = []
  for (const load of LOADS) {
    loadCores(load === 'busy')
    for (const place of PLACES) {
      for (const pattern of PATTERNS) rows.push(await burstPattern(pattern, place, load))
    }
    loadCores(false)
  }
  return section('Bursts of 2,000 files in 20 directories', `${N} bursts per row for each tool, ${env('BURSTS_TOGETHER', '') === '1' ? 'the three watching every burst at once' : 'each tool alone'}. "1 msg": bursts that gave the plugin's client exactly one message; "1 build": exactly one build of a builder watching the same tree. Tail: last message − last write (ms). Raw parcel: its batches per burst and its last batch − last write.`,
    ['pattern', 'place', 'load', '1 msg', '1 build', 'tail p50', 'tail p95', 'parcel batches (median)', 'parcel last p50', 'parcel last p95'], rows)
}

/**
 * One row: N bursts of `pattern` for each tool. By default each tool meets its bursts alone, as
 * a developer runs a dev server: the plugin (messages and the tail), a builder watching the same
 * tree (builds), raw parcel (its batches). With BURSTS_TOGETHER=1 the three watch every burst at
 * once, each taking in 2,000 events at the same moment on the same cores (the way of the runs
 * before 2026-11-26).
 */
async function burstPattern (pattern, place, load) {
  const passes = env('BURSTS_TOGETHER', '') === '1' ? [['ours', 'builder', 'parcel']] : [['ours'], ['builder'], ['parcel']]
  const result = { oneMessage: [], oneBuild: [], tails: [], parcelBatches: [], parcelLast: [] }
  for (const tools of passes) await burstPass(pattern, place, tools, result)
  const { oneMessage, oneBuild, tails, parcelBatches, parcelLast } = result
  const count = values => `${values.filter(Boolean).length}/${values.length}`
  const row = [pattern, place, load, count(oneMessage), count(oneBuild), fmt(median(tails), 0), fmt(percentile(tails, 95), 0), fmt(median(parcelBatches), 0), fmt(median(parcelLast), 0), fmt(percentile(parcelLast, 95), 0)]
  console.error(row.join(' | '))
  return row
}

/** N bursts of `pattern` in a fresh tree, watched by `tools`; their figures are added to `result`. */
async function burstPass (pattern, place, tools, result) {
  const base = realpathSync(mkdtempSync(join(places[place], 'bursts-')))
  const site = join(base, 'site')
  const out = join(base, 'out')
  mkdirSync(out)
  tree(site, 'start')
  if (pattern === 'git') {
    const git = (...args) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@example.com', '-C', site, ...args])
    git('init', '-q'); git('add', '-A'); git('commit', '-qm', 'a'); tree(site, 'b'); git('commit', '-qam', 'b')
  }
  if (pattern === 'tar') for (const name of ['a', 'b']) { tree(join(base, name), name); execFileSync('tar', ['-cf', join(base, `${name}.tar`), '-C', join(base, name), '.']) }
  if (pattern === 'cp') { tree(join(base, 'copy-a'), 'a'); tree(join(base, 'copy-b'), 'b'); tree(join(site, 'out'), 'old') }
  const stops = []
  const messages = []
  let builds = 0
  if (tools.includes('ours')) {
    const plugin = await startTool('ours', { root: site })
    const client = await connectClient('ours', plugin.port)
    client.on('message', at => messages.push(at))
    stops.push(async () => { client.close(); await plugin.stop() })
  }
  if (tools.includes('builder')) {
    const builder = await startTool('ours', { root: out, src: site, builder: true })
    builder.events.on('built', () => { builds++ })
    stops.push(() => builder.stop())
  }
  const parcel = tools.includes('parcel') ? await rawProcess(site) : null
  if (parcel !== null) stops.push(() => parcel.close())
  const worker = writerThread()
  try {
    await sleep(500)
    for (let i = 0; i < N; i++) {
      await sleep(IDLE_MS)
      const [fromMessages, fromBuilds, fromBatches] = [messages.length, builds, parcel?.batches.length]
      const files = Array.from({ length: DIRS * PER_DIR }, (_, k) => [join(site, `d${Math.floor(k / PER_DIR)}`, `${k % PER_DIR}.html`), `<p>${i} ${k}</p>`])
      const written = pattern === 'tar'
        ? await run('tar', ['-xf', join(base, `${i % 2 === 0 ? 'a' : 'b'}.tar`), '-C', site])
        : pattern === 'git'
          ? await run('git', ['-C', site, 'checkout', '-q', i % 2 === 0 ? 'HEAD~1' : '-'])
          : pattern === 'cp'
            ? await run('sh', ['-c', `rm -rf '${site}/out' && cp -r '${base}/copy-${i % 2 === 0 ? 'a' : 'b'}' '${site}/out'`])
            : await ask(worker, { how: pattern === 'waves' ? 'waves' : pattern, files })
      await settle(() => messages.length + builds + (parcel?.batches.length ?? 0))
      if (tools.includes('ours')) {
        const received = messages.slice(fromMessages)
        result.oneMessage.push(received.length === 1)
        if (received.length > 0) result.tails.push(received.at(-1) - written)
      }
      if (tools.includes('builder')) result.oneBuild.push(builds - fromBuilds === 1)
      if (parcel !== null) {
        const batches = parcel.batches.slice(fromBatches)
        result.parcelBatches.push(batches.length)
        if (batches.length > 0) result.parcelLast.push(batches.at(-1).at - written)
      }
    }
  } finally {
    await worker.terminate()
    for (const stop of stops) await stop()
    rmSync(base, { recursive: true, force: true })
  }
}

/** Resolves once `count()` has not changed for SETTLE_MS (at most 15 s). */
async function settle (count) {
  const end = clock() + 15_000
  let last = count()
  let stableSince = clock()
  while (clock() < end && clock() - stableSince < SETTLE_MS) {
    await sleep(50)
    const now = count()
    if (now !== last) { last = now; stableSince = clock() }
  }
}

// ---------------------------------------------------------------------------------------------
async function saves () {
  const rows = []
  for (const place of PLACES) {
    for (const how of ['save-sync', 'save-promise', 'save-rename']) {
      const site = realpathSync(mkdtempSync(join(places[place], 'saves-')))
      writeFileSync(join(site, 'index.html'), '<p>0</p>')
      const plugin = await serve({ root: site })
      const parcel = await raw(site)
      const worker = writerThread()
      const ours = []
      const theirs = []
      const counts = []
      try {
        await sleep(500)
        for (let i = 0; i < SAVES_N; i++) {
          await sleep(1000)
          const [fromMessages, fromBatches] = [plugin.messages.length, parcel.batches.length]
          const at = await ask(worker, { how, files: [[join(site, 'index.html'), `<p>${i} ${Math.random()}</p>`]] })
          await settle(() => plugin.messages.length + parcel.batches.length)
          const messages = outcome(plugin.messages.slice(fromMessages))
          const batch = parcel.batches.slice(fromBatches).find(b => b.paths.includes(join(site, 'index.html')))
          counts.push(messages.length)
          if (messages.length > 0) ours.push(messages[0].at - at)
          if (batch !== undefined) theirs.push(batch.at - at)
        }
      } finally {
        await worker.terminate()
        await parcel.close()
        await plugin.close()
        rmSync(site, { recursive: true, force: true })
      }
      const row = [how.replace('save-', ''), place, fmt(median(ours)), fmt(percentile(ours, 95)), fmt(median(theirs)), fmt(percentile(theirs, 95)), fmt(percentile(ours, 95) - percentile(theirs, 95)), `${counts.filter(c => c === 1).length}/${counts.length}`]
      console.error(row.join(' | '))
      rows.push(row)
    }
  }
  return section('Saves 1 s apart, from another thread', `${SAVES_N} saves of index.html per row, idle machine. Latency: the write's start → the client's message (ours) or the raw watcher's first batch naming the file (ms). "1 msg": saves that gave exactly one message.`,
    ['write', 'place', 'ours p50', 'ours p95', 'parcel p50', 'parcel p95', 'p95 − parcel p95', '1 msg'], rows)
}

// ---------------------------------------------------------------------------------------------
async function builds () {
  const rows = []
  const cases = [
    ['function, 1 page', 'fn', 1, 'html'], ['function, 200 pages', 'fn', 200, 'html'], ['function, 1 stylesheet', 'fn', 1, 'css'],
    ['commandBuilder, 1 page', 'cmd', 1, 'html'], ['commandBuilder, 200 pages', 'cmd', 200, 'html']
  ]
  for (const place of PLACES) for (const [name, kind, count, ext] of cases) rows.push(await buildCase(name, kind, count, ext, place))
  return section('Build end → message, for a builder that returns no outputs', `${BUILDS_N} builds per row, idle machine. Build end: the builder's promise settled (a function builder's own clock; for commandBuilder the onBuildStart hook plus the report's duration). Raw parcel: build end → its batch holding the last file the build wrote (ms). "1 msg naming all": one message per build, of the expected type, naming every output (or \`[]\`, everything, past 100 paths).`,
    ['builder', 'place', 'ours p50', 'ours p95', 'parcel p50', 'parcel p95', 'p50 − parcel p50', '1 msg naming all'], rows)
}

async function buildCase (name, kind, count, ext, place) {
  const base = realpathSync(mkdtempSync(join(places[place], 'builds-')))
  const src = join(base, 'src')
  const out = join(base, 'out')
  mkdirSync(src)
  mkdirSync(out)
  writeFileSync(join(src, 'in.txt'), '0')
  const names = Array.from({ length: count }, (_, i) => `p${i}.${ext}`)
  let ended = 0
  let started = 0
  const script = join(base, 'build.sh')
  writeFileSync(script, `for i in $(seq 0 ${count - 1}); do echo "<p>$(date +%s%N)</p>" > '${out}'/p$i.${ext}; done\n`)
  const builder = kind === 'fn'
    ? { name: 'pages', async build () { const stamp = Math.random(); for (const file of names) await writeFile(join(out, file), `<p>${stamp}</p>`); ended = clock() } }
    : commandBuilder(`sh '${script}'`)
  const plugin = await serve({ root: out, watch: [src], buildOnStart: false, builder, onBuildStart: () => { started = clock() }, onBuildEnd: report => { if (kind === 'cmd') ended = started + report.duration } })
  const parcel = await raw(out)
  const ours = []
  const theirs = []
  let good = 0
  try {
    await sleep(500)
    for (let i = 0; i < BUILDS_N; i++) {
      await sleep(800)
      const [fromMessages, fromBatches] = [plugin.messages.length, parcel.batches.length]
      await writeFile(join(src, 'in.txt'), String(i))
      await settle(() => plugin.messages.length + parcel.batches.length)
      const messages = outcome(plugin.messages.slice(fromMessages))
      const last = join(out, names.at(-1))
      const batch = parcel.batches.slice(fromBatches).find(b => b.paths.includes(last))
      if (messages.length > 0) ours.push(messages[0].at - ended)
      if (batch !== undefined) theirs.push(batch.at - ended)
      const expected = count > 100 ? [] : names.map(file => `/${file}`).sort()
      if (messages.length === 1 && messages[0].type === (ext === 'css' ? 'css' : 'reload') && JSON.stringify([...messages[0].paths].sort()) === JSON.stringify(expected)) good++
      else console.error(`  ${name} ${place} build ${i}: ${JSON.stringify(messages.map(m => ({ type: m.type, paths: m.paths.length > 3 ? m.paths.length : m.paths, after: fmt(m.at - ended) })))}`)
    }
  } finally {
    await parcel.close()
    await plugin.close()
    rmSync(base, { recursive: true, force: true })
  }
  const row = [name, place, fmt(median(ours)), fmt(percentile(ours, 95)), fmt(median(theirs)), fmt(percentile(theirs, 95)), fmt(median(ours) - median(theirs)), `${good}/${BUILDS_N}`]
  console.error(row.join(' | '))
  return row
}

// ---------------------------------------------------------------------------------------------
function section (title, note, headers, rows) {
  return [`## ${title}`, '', note, '', `| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map(row => `| ${row.join(' | ')} |`), ''].join('\n')
}

const header = [
  '# Bursts, saves and build ends',
  '',
  `${new Date().toISOString()} · ${cpus()[0].model} × ${cpus().length} · load average before ${loadavg().map(v => v.toFixed(2)).join(' ')} · node ${process.version} · @parcel/watcher ${require('@parcel/watcher/package.json').version} · fastify ${require('fastify/package.json').version}`,
  ''
].join('\n')
const parts = [header]
if (SECTIONS.includes('bursts')) parts.push(await bursts())
if (SECTIONS.includes('saves')) parts.push(await saves())
if (SECTIONS.includes('builds')) parts.push(await builds())
const report = parts.join('\n')
console.log(report)
mkdirSync(new URL('results/', import.meta.url), { recursive: true })
// A run of some sections keeps the whole run's file: bursts-saves-builds.md and the like.
const isWhole = ['bursts', 'saves', 'builds'].every(name => SECTIONS.includes(name))
writeFileSync(new URL(`results/${isWhole ? 'bursts' : `bursts-${SECTIONS.join('-')}`}.md`, import.meta.url), report)
clearTimeout(deadline)
loadCores(false)
process.exit(0)
