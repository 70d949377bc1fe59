// Steady saves against the loop breaker (issue 22): a person saving one page at a steady pace
// is never paused, reloads keep coming, and the last edit is built and served; a builder that
// rewrites a watched file on every build is stopped within 10 builds, with a warning naming it,
// and an edit made during that pause is built.
// Plain script: `npm run build` first, then `node bench/steady-saves.js` (about 75 s).
// BENCH_STEADY_S sets the length of each steady run (default 30). One run of each, on disk
// the OS temp dir unless BENCH_TMP names another place.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Fastify from 'fastify'
import WebSocket from 'ws'
import liveReload, { commandBuilder } from '../dist/index.js'

const SECONDS = Number(process.env.BENCH_STEADY_S ?? 30)
const LOOP_BOUND_BUILDS = 40 // the self-rewriting run gives up past this many builds
const LOOP_BOUND_MS = 30_000
const DEADLINE_MS = (3 * SECONDS + 60) * 1000
const base = process.env.BENCH_TMP ?? tmpdir()

const deadline = setTimeout(() => { console.error('steady-saves: deadline passed, run failed'); process.exit(2) }, DEADLINE_MS)

/** A project (src/index.txt → dist/index.html), its app listening on loopback and one socket client. */
async function start (command) {
  const dir = realpathSync(mkdtempSync(join(base, 'steady-')))
  const src = join(dir, 'src')
  const dist = join(dir, 'dist')
  mkdirSync(src)
  mkdirSync(dist)
  writeFileSync(join(src, 'index.txt'), 'edit -1')
  writeFileSync(join(dist, 'index.html'), '<p>edit -1</p>')
  const warnings = []
  let holds = 0
  const stream = {
    write: line => {
      const parsed = JSON.parse(line)
      if (parsed.level >= 40) warnings.push(parsed)
      if (/holding builds/.test(parsed.msg)) holds++
    }
  }
  const app = Fastify({ logger: { level: 'debug', stream } })
  const builds = []
  await app.register(liveReload, {
    root: dist,
    watch: src,
    buildOnStart: false,
    builder: commandBuilder(command, { cwd: dir }),
    onBuildStart: ctx => { builds.push({ started: performance.now(), changes: ctx.changes.map(c => c.path.slice(dir.length + 1)) }) },
    onBuildEnd: report => { Object.assign(builds.at(-1), { ended: performance.now(), sent: report.sent }) }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address()
  const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`)
  const reloads = []
  ws.on('message', data => { if (JSON.parse(String(data)).type === 'reload') reloads.push(performance.now()) })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  let pausedSeen = false
  const watchPaused = setInterval(() => { pausedSeen ||= app.liveReload.stats().paused }, 20)
  const page = async () => (await fetch(`http://127.0.0.1:${port}/index.html`)).text()
  const stop = async () => {
    clearInterval(watchPaused)
    ws.terminate()
    await app.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { src, app, builds, reloads, warnings, page, stop, pausedSeen: () => pausedSeen, holds: () => holds }
}

function tally (values) {
  const counts = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}

/** Writes `file` every `everyMs` from another thread (a person, or an upstream tool), `count` times. */
function saver (file, everyMs, count) {
  const code = `
    const { workerData: { file, everyMs, count }, parentPort } = require('node:worker_threads')
    const { writeFileSync } = require('node:fs')
    let i = 0
    const timer = setInterval(() => {
      writeFileSync(file, 'edit ' + i)
      parentPort.postMessage({ i, at: performance.timeOrigin + performance.now() })
      if (++i === count) { clearInterval(timer); parentPort.close() }
    }, everyMs)`
  const worker = new Worker(code, { eval: true, workerData: { file, everyMs, count } })
  const writes = []
  const done = new Promise((resolve, reject) => {
    worker.on('message', ({ i, at }) => { writes[i] = at - performance.timeOrigin })
    worker.on('error', reject)
    worker.on('exit', resolve)
  })
  return { writes, done }
}

async function steady (name, everyMs, command) {
  const run = await start(command)
  const count = Math.floor(SECONDS * 1000 / everyMs)
  const save = saver(join(run.src, 'index.txt'), everyMs, count)
  await save.done
  const last = `edit ${count - 1}`
  const lastWrite = save.writes[count - 1]
  // The last edit is built and served once a reload after it carries a page that shows it.
  let servedAt = null
  const until = performance.now() + 10_000
  while (servedAt === null && performance.now() < until) {
    const reload = run.reloads.find(at => at > lastWrite)
    if (reload !== undefined && (await run.page()).includes(last)) servedAt = reload
    else await new Promise(resolve => setTimeout(resolve, 20))
  }
  while (run.builds.at(-1)?.ended === undefined && performance.now() < until) await new Promise(resolve => setTimeout(resolve, 20))
  // The longest stretch without a reload while the edits went on (silence after a pause counts).
  const marks = [save.writes[0], ...run.reloads.filter(at => at > save.writes[0] && at < lastWrite), lastWrite]
  const gaps = marks.slice(1).map((at, i) => at - marks[i])
  const result = {
    run: name,
    edits: count,
    builds: run.builds.length,
    buildsBySent: tally(run.builds.map(build => build.sent ?? 'running')),
    reloads: run.reloads.length,
    longestWithoutReloadMs: Math.round(Math.max(...gaps)),
    pauseWarnings: run.warnings.filter(line => /builds paused/.test(line.msg)).length,
    pausedSeen: run.pausedSeen(),
    holdsToObserve: run.holds(),
    lastEditBuiltAndServed: servedAt !== null,
    lastWriteToReloadMs: servedAt === null ? null : Math.round(servedAt - lastWrite)
  }
  await run.stop()
  return result
}

/** A builder that stamps a watched source on every build: stopped, named, and an edit during the pause is built. */
async function selfRewriting () {
  const run = await start('date +%s%N > src/generated.txt && cp src/index.txt dist/index.html')
  writeFileSync(join(run.src, 'index.txt'), 'edit 0')
  const until = performance.now() + LOOP_BOUND_MS
  while (!run.warnings.some(line => /builds paused/.test(line.msg)) && run.builds.length < LOOP_BOUND_BUILDS && performance.now() < until) {
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const warning = run.warnings.find(line => /builds paused/.test(line.msg))
  const buildsToPause = run.builds.length
  // Quiet for a while: a stopped loop builds nothing more.
  await new Promise(resolve => setTimeout(resolve, 3000))
  const buildsWhilePaused = run.builds.length - buildsToPause
  const before = run.builds.length
  writeFileSync(join(run.src, 'index.txt'), 'edit during the pause')
  let built = false
  const bound = performance.now() + 10_000
  while (!built && performance.now() < bound) {
    built = run.builds.length > before && run.builds.at(-1).ended !== undefined && (await run.page()).includes('edit during the pause')
    if (!built) await new Promise(resolve => setTimeout(resolve, 20))
  }
  const result = {
    run: 'builder stamps src/generated.txt on every build',
    buildsUntilPaused: warning === undefined ? null : buildsToPause,
    warningNames: warning === undefined ? null : (warning.paths ?? warning.msg),
    buildsInTheNext3s: buildsWhilePaused,
    editDuringPauseBuiltAndServed: built,
    itsBuildChanges: built ? run.builds[before].changes : null
  }
  await run.stop()
  return result
}

const results = [
  await steady('every 300 ms, instant commandBuilder', 300, 'cp src/index.txt dist/index.html'),
  await steady('every 1 s, 1.5 s commandBuilder', 1000, 'sleep 1.5 && cp src/index.txt dist/index.html'),
  await selfRewriting()
]
for (const result of results) console.log(JSON.stringify(result))
clearTimeout(deadline)
