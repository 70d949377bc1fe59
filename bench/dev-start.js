// First start of a Fastify app: the dev server (`fastify-livereload dev app.js`) beside
// `fastify start app.js`, the command it stands in for, on the same app in the same run.
// Plain script: `npm run build` first (the command runs from dist/), `npm --prefix bench install`
// (fastify-cli), then `node bench/dev-start.js`. Results go to stdout and
// bench/results/dev-start.md (dev-start-<DEV_START_LABEL>.md when that is set); progress to stderr.
// The Node that runs this script runs every tool.
//
// DEV_START_BEFORE=path/to/cli.js adds another build of ours (a before and after in one run).
// DEV_START_N rounds (default 10), DEV_START_WARMUP untimed rounds before them (default 1: the
// first start after a while reads its modules from disk), DEV_START_DEADLINE_S (default 600)
// bounds the whole run: past it, every tool is killed, the figures so far are printed, exit 2.
//
// The app: bench/lib/fastify-app.js (fastify-cli shaped, 50 routes in files of their own, 25 with
// JSON schemas), written once into a temporary directory. The tools, each on a free loopback port:
//   ours                 `fastify-livereload dev app.js --port <p> --no-open --no-qr`
//   ours, no schemas kept  the same, the app's node_modules/.cache removed first (what an earlier
//                        start kept: the schemas' code; a project's very first start)
//   fastify start        `fastify start -a 127.0.0.1 -p <p> --options app.js` (fastify-cli 7.x)
//   fastify start -w     the same with --watch, which restarts on a change as ours does
//   node --watch         `node --watch server.js`, a standalone server of app.js on PORT (context)
//
// Each round starts every tool once, one after the other, in an order that turns by one each
// round (so drift in the machine's load meets every tool alike). Each start is a fresh process,
// leader of its own group, stopped after its measurement as a user stops it (Ctrl-C: SIGINT to the
// group, so Node ≥ 22 writes its compile cache), then killed whole; the next start waits until it and
// every process still working in the app's directory (ours' generations are groups of their own)
// are gone. The figure: spawn → the first complete answer to GET /version (the app's route,
// which answers "start"), asked from spawn on: a refused or reset connection is asked again after
// 5 ms, and so is a 503 (counted: a server that listens before the app answers). A start longer
// than START_TIMEOUT_MS fails the run, loudly, with the tool's output.
//
// Clock: CLOCK_MONOTONIC (process.hrtime) in this process.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeApp } from './lib/fastify-app.js'
import { fmt, freePort, inTurn, median, now, percentile, sleep, stopGroup } from './lib/harness.js'

const env = (name, fallback) => process.env[name] ?? fallback
const N = Number(env('DEV_START_N', 10))
const WARMUP = Number(env('DEV_START_WARMUP', 1))
const DEADLINE_S = Number(env('DEV_START_DEADLINE_S', 600))
const LABEL = process.env.DEV_START_LABEL
/** One start (spawn → the route's answer) may take this long (ms) before the run fails. */
const START_TIMEOUT_MS = 20_000
/** A killed tool and what it started must be gone within this long (ms). */
const EXIT_TIMEOUT_MS = 5_000
/** Between starts, so one tool's teardown does not land in the next one's start. */
const PAUSE_MS = 300

const path = relative => fileURLToPath(new URL(relative, import.meta.url))
const versionOf = file => JSON.parse(readFileSync(path(file), 'utf8')).version
const FASTIFY_CLI = path('node_modules/fastify-cli/cli.js')
if (!existsSync(path('../dist/cli.js'))) fail('dist/cli.js is missing: run `npm run build` in the repository first')
if (!existsSync(FASTIFY_CLI)) fail('bench/node_modules/fastify-cli is missing: run `npm --prefix bench install`')
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g // eslint-disable-line no-control-regex

/** Another build of ours (its dist/cli.js), for a before and after in one run: resolved here, as every tool starts in the app's directory. */
const BEFORE = process.env.DEV_START_BEFORE === undefined ? undefined : resolve(process.env.DEV_START_BEFORE)
if (BEFORE !== undefined && !existsSync(BEFORE)) fail(`DEV_START_BEFORE: ${BEFORE} does not exist`)
const dev = (cli, port) => [cli, 'dev', 'app.js', '--port', String(port), '--no-open', '--no-qr']
const TOOLS = [
  { name: 'ours (`dev`)', args: port => dev(path('../dist/cli.js'), port) },
  // The schemas' code the last start kept (docs/dev.md) removed first: a project's very first start.
  { name: 'ours, no schemas kept', args: port => dev(path('../dist/cli.js'), port), prepare: () => { rmSync(join(app.dir, 'node_modules/.cache'), { recursive: true, force: true }) } },
  ...(BEFORE === undefined ? [] : [{ name: 'ours, before', args: port => dev(BEFORE, port) }]),
  { name: 'fastify start', args: port => [FASTIFY_CLI, 'start', '-a', '127.0.0.1', '-p', String(port), '--options', 'app.js'] },
  { name: 'fastify start --watch', args: port => [FASTIFY_CLI, 'start', '--watch', '-a', '127.0.0.1', '-p', String(port), '--options', 'app.js'] },
  { name: 'node --watch', args: () => ['--watch', 'server.js'] }
]

function fail (message) {
  console.error(`dev-start: ${message}`)
  process.exit(1)
}

const base = realpathSync(mkdtempSync(join(tmpdir(), 'dev-start-')))
const app = writeApp(join(base, 'app'), 'js')

/** Processes still alive that work in the app's directory (ours' generations, in groups of their own). */
function strays () {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`)
      if (cwd === app.dir || cwd.startsWith(app.dir + '/')) found.push(Number(entry))
    } catch {} // gone meanwhile, or not ours to read
  }
  return found
}

/** Process groups still running: killed on every way out, with the strays. */
const groups = new Set()
const killGroup = pid => { try { process.kill(-pid, 'SIGKILL') } catch {} }
function cleanUp () {
  for (const pid of groups) killGroup(pid)
  groups.clear()
  for (const pid of strays()) { try { process.kill(pid, 'SIGKILL') } catch {} }
  rmSync(base, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { cleanUp(); process.exit(130) })

const tail = text => text.replace(ANSI, '').slice(-1500).trimEnd() || '(nothing)'

/**
 * One start of `tool`: spawn, then GET /version until it answers "start". Resolves with the time
 * (ms from spawn) and the requests asked again, once the tool and what it started are gone;
 * rejects, naming the tool and its output, on a timeout, an early exit or a wrong answer.
 */
async function start (tool) {
  const port = await freePort()
  tool.prepare?.()
  const spawnedAt = now()
  const child = spawn(process.execPath, tool.args(port), {
    cwd: app.dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' }
  })
  groups.add(child.pid)
  const closed = new Promise(resolve => child.once('close', resolve))
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', chunk => { stdout = (stdout + chunk).slice(-4000) })
  child.stderr.setEncoding('utf8').on('data', chunk => { stderr = (stderr + chunk).slice(-4000) })

  let timer
  const failure = why => new Error(`${tool.name}: ${why} (port ${port})\n--- stderr tail ---\n${tail(stderr)}\n--- stdout tail ---\n${tail(stdout)}`)
  const bounded = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(failure(`no answer from /version within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
    child.once('error', err => reject(failure(`could not be spawned: ${err.message}`)))
    child.once('exit', (code, signal) => reject(failure(`exited (${code ?? signal}) before it answered`)))
  })
  const measured = (async () => {
    const retried = { refused: 0, unavailable: 0 }
    for (;;) {
      try {
        const { status, body } = await get(port, '/version')
        if (status === 200 && body === 'start') return { ms: now() - spawnedAt, retried }
        if (status !== 503) throw failure(`/version answered ${status} ${body.slice(0, 300)}`)
        retried.unavailable++
      } catch (err) {
        if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') throw err
        retried.refused++
      }
      await sleep(5)
    }
  })()

  const outcome = await Promise.race([measured, bounded]).then(value => ({ value }), error => ({ error }))
  clearTimeout(timer)
  child.removeAllListeners('exit')
  bounded.catch(() => {})
  measured.catch(() => {})
  if ('value' in outcome) await stopGroup(child.pid, closed)
  killGroup(child.pid)
  let isGone = await Promise.race([closed.then(() => true), sleep(EXIT_TIMEOUT_MS).then(() => false)])
  for (const until = now() + EXIT_TIMEOUT_MS; isGone && strays().length > 0;) {
    if (now() > until) isGone = false
    else await sleep(10)
  }
  groups.delete(child.pid)
  if ('error' in outcome) throw outcome.error
  if (!isGone) throw new Error(`${tool.name}: still running (or processes of it) ${EXIT_TIMEOUT_MS} ms after SIGKILL to its group: ${strays().join(', ')}`)
  return outcome.value
}

function get (port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: urlPath, agent: false, headers: { accept: 'application/json, text/plain, */*' } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', chunk => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

// ---------------------------------------------------------------------------------------------
const results = new Map(TOOLS.map(tool => [tool.name, { ms: [], unavailable: 0 }]))
const loadBefore = loadavg()
const startedAt = new Date()
let roundsDone = 0

function report (complete) {
  const loadAfter = loadavg()
  const of = name => results.get(name).ms
  const rows = TOOLS.map(tool => [tool.name, fmt(median(of(tool.name)), 0), fmt(percentile(of(tool.name), 95), 0), fmt(Math.min(...of(tool.name)), 0), `${of(tool.name).length}/${N}`])
  const ours = median(of(TOOLS[0].name))
  const ratios = TOOLS.slice(1).map(tool => `${tool.name} ${fmt(ours / median(of(tool.name)), 2)}×`)
  const unavailable = TOOLS.filter(tool => results.get(tool.name).unavailable > 0).map(tool => `${tool.name} ${results.get(tool.name).unavailable}`)
  const headers = ['tool', 'first answer p50 ms', 'p95 ms', 'min ms', 'rounds ok']
  return [
    '# Dev server: first start',
    '',
    `${startedAt.toISOString()} · ${cpus()[0].model} × ${cpus().length} · load average before ${loadBefore.map(v => v.toFixed(2)).join(' ')}, after ${loadAfter.map(v => v.toFixed(2)).join(' ')} · node ${process.version} · ours ${versionOf('../package.json')} · fastify-cli ${versionOf('node_modules/fastify-cli/package.json')} · fastify ${versionOf('node_modules/fastify/package.json')}`,
    '',
    ...(complete ? [] : [`**Incomplete: the deadline (${DEADLINE_S} s) passed after ${roundsDone} of ${N} rounds.**`, '']),
    `${N} rounds (after ${WARMUP} untimed), the tools one after the other in an order that turns each round; each start a fresh process on a free loopback port, stopped with Ctrl-C and killed (with what it started) before the next. Time from spawn to the first complete answer of GET /version ("start"), asked from spawn on, again 5 ms after a refused connection or a 503. The app: 50 routes in files of their own, 25 with JSON schemas (bench/lib/fastify-app.js). ours: \`fastify-livereload dev app.js --port <p> --no-open --no-qr\`${BEFORE === undefined ? '' : ` (ours, before: the same from ${BEFORE})`}; fastify start: \`fastify start -a 127.0.0.1 -p <p> --options app.js\` (and with --watch); node --watch: \`node --watch server.js\`, a standalone server of app.js.`,
    '',
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map(row => `| ${row.join(' | ')} |`),
    '',
    `First answer p50, ours ÷ the others: ${ratios.join(' · ')}`,
    ...(unavailable.length > 0 ? ['', `Answers of 503 before the app's (asked again): ${unavailable.join(' · ')}`] : []),
    ''
  ].join('\n')
}

const deadline = setTimeout(() => {
  cleanUp()
  console.error(`dev-start: deadline (${DEADLINE_S} s) passed, run failed; the figures so far:`)
  console.error(report(false))
  process.exit(2)
}, DEADLINE_S * 1000)

try {
  for (let round = -WARMUP; round < N; round++) {
    for (let k = 0; k < TOOLS.length; k++) {
      const tool = inTurn(TOOLS, round, k)
      const { ms, retried } = await start(tool)
      if (round >= 0) {
        results.get(tool.name).ms.push(ms)
        results.get(tool.name).unavailable += retried.unavailable
      }
      console.error(`${round < 0 ? 'warm-up' : `round ${round + 1}/${N}`} ${tool.name}: ${fmt(ms, 0)} ms (asked again: ${retried.refused} refused, ${retried.unavailable} × 503)`)
      await sleep(PAUSE_MS)
    }
    if (round >= 0) roundsDone++
  }
} catch (err) {
  cleanUp()
  console.error(`dev-start: run failed\n${err.message}`)
  process.exit(1)
}
cleanUp()

const text = report(true)
console.log(text)
mkdirSync(path('results/'), { recursive: true })
writeFileSync(path(`results/${LABEL === undefined ? 'dev-start' : `dev-start-${LABEL}`}.md`), text)
clearTimeout(deadline)
process.exit(0)
