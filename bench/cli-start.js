// Start-up of the command-line tool beside the dev servers users would run instead.
// Plain script: `npm run build` first, then `node bench/cli-start.js`. Results go to stdout and
// bench/results/cli-start.md.
//
// CLI_START_N rounds (default 10), CLI_START_WARMUP untimed rounds before them (default 1: the
// first start of a tool after a while reads its modules from disk), CLI_START_DEADLINE_S
// (default 600) bounds the whole run. CLI_START_BEFORE=path/to/cli.js adds another build of ours
// ("ours, before") to each round, for a before and after measured side by side.
//
// Each round starts every tool once, one after the other, in an order that turns by one each
// round (so drift in the machine's load meets every tool alike), on the same small site (an
// index.html of about 2 KB and a stylesheet). Each start is a fresh process of its own group
// on a free loopback port; after its measurement it gets Ctrl-C (SIGINT to the whole group, as a
// user stops it: Node ≥ 22 writes its compile cache then), SIGKILL 2 s later, and the
// next start waits for its exit.
//
// Two times per start, both from spawn(): "URL printed", when the line naming the local URL has
// arrived on the tool's stdout; "first page", when a GET of /index.html sent after that (as a
// browser would: Accept: text/html, no Origin) has its whole body, checked to hold the tool's
// live-reload client. A start that takes longer than START_TIMEOUT_MS fails the run, loudly.
//
// Clocks: CLOCK_MONOTONIC (process.hrtime) in this process.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, freePort, inTurn, median, now, percentile, sleep, stopGroup } from './lib/harness.js'

const env = (name, fallback) => process.env[name] ?? fallback
const N = Number(env('CLI_START_N', 10))
const WARMUP = Number(env('CLI_START_WARMUP', 1))
const DEADLINE_S = Number(env('CLI_START_DEADLINE_S', 600))
/** One start (spawn → page with the client) may take this long (ms) before the run fails. */
const START_TIMEOUT_MS = 20_000
/** A killed tool must be gone within this long (ms). */
const EXIT_TIMEOUT_MS = 5_000
/** Between starts, so one tool's teardown does not land in the next one's start. */
const PAUSE_MS = 300

const path = relative => fileURLToPath(new URL(relative, import.meta.url))
const versionOf = file => JSON.parse(readFileSync(path(file), 'utf8')).version
const binOf = name => {
  const pkg = JSON.parse(readFileSync(path(`node_modules/${name}/package.json`), 'utf8'))
  return path(`node_modules/${name}/${typeof pkg.bin === 'string' ? pkg.bin : pkg.bin[name]}`)
}
const ANSI = /\x1b\[[0-9;]*m/g // eslint-disable-line no-control-regex

/**
 * The tools: how to start one on `dir` and `port`, the stdout line that names its URL, and
 * what its injected client looks like in the page.
 *
 * live-server: no --quiet, which silences the "Serving … at <url>" line too (its log level 0
 * prints nothing at all); its default level 2 logs only failed requests. --host=127.0.0.1 binds
 * loopback (the default is 0.0.0.0).
 * browser-sync: `start --server` watches nothing unless told (--watch watches the served
 * directory, as the others do); it prints "Local: http://localhost:<port>" (the bench asks
 * 127.0.0.1, which it also listens on), and injects its snippet only into responses to requests
 * that accept text/html.
 */
/** Ours, as `cli` (a path to its dist/cli.js) starts it. */
const ours = (name, version, cli) => ({
  name,
  version,
  args: (dir, port) => [cli, dir, '--port', String(port), '--no-open'],
  url: /serving .* with live reload at (\S+)\s*$/,
  client: body => body.includes('/__livereload/client.js')
})
const BEFORE = process.env.CLI_START_BEFORE // another build of ours, for a before and after in one run
const TOOLS = [
  ...(BEFORE === undefined ? [] : [ours('ours, before', 'CLI_START_BEFORE', BEFORE)]),
  ours('ours', versionOf('../package.json'), path('../dist/cli.js')),
  {
    name: 'live-server',
    version: versionOf('node_modules/live-server/package.json'),
    args: (dir, port) => [binOf('live-server'), `--port=${port}`, '--host=127.0.0.1', '--no-browser', dir],
    url: /^Serving ".*" at (http:\/\/\S+)/,
    client: body => /<script[^>]*>[^]*?WebSocket[^]*?<\/script>/.test(body)
  },
  {
    name: 'browser-sync',
    version: versionOf('node_modules/browser-sync/package.json'),
    args: (dir, port) => [binOf('browser-sync'), 'start', '--server', dir, '--watch', '--port', String(port), '--no-open', '--no-notify', '--no-ui'],
    url: /^\s*Local: (http:\/\/\S+)/,
    client: body => body.includes('browser-sync-client')
  }
]

/** Process groups still running: killed on every way out. */
const groups = new Set()
const killGroup = pid => { try { process.kill(-pid, 'SIGKILL') } catch {} }
function killGroups () {
  for (const pid of groups) killGroup(pid)
  groups.clear()
}
process.on('exit', killGroups)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { killGroups(); process.exit(130) })

const tail = text => text.replace(ANSI, '').slice(-1500).trimEnd() || '(nothing)'

/**
 * One start of `tool` on `dir`: spawn, URL line, first page. Resolves with both times (ms from
 * spawn) once the process group is gone; rejects, naming the tool and its output, on a timeout,
 * an early exit or a page without the client.
 */
async function start (tool, dir) {
  const port = await freePort()
  const spawnedAt = now()
  const child = spawn(process.execPath, tool.args(dir, port), {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', CI: '1' }
  })
  groups.add(child.pid)
  const closed = new Promise(resolve => child.once('close', resolve))
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', chunk => { stderr = (stderr + chunk).slice(-4000) })

  let timer
  const fail = (reject, why) => reject(new Error(`${tool.name}: ${why} (port ${port})\n--- stderr tail ---\n${tail(stderr)}\n--- stdout tail ---\n${tail(stdout)}`))
  const bounded = new Promise((resolve, reject) => {
    timer = setTimeout(() => fail(reject, `not serving its page within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS)
    child.once('error', err => fail(reject, `could not be spawned: ${err.message}`))
    child.once('exit', (code, signal) => fail(reject, `exited (${code ?? signal}) before it served its page`))
  })

  const measured = (async () => {
    const url = await new Promise(resolve => {
      let pending = ''
      child.stdout.setEncoding('utf8').on('data', chunk => {
        const at = now()
        stdout = (stdout + chunk).slice(-4000)
        pending += chunk
        const lines = pending.split('\n')
        pending = lines.pop()
        for (const line of lines) {
          const match = tool.url.exec(line.replace(ANSI, ''))
          if (match !== null) return resolve({ href: match[1], at })
        }
      })
    })
    const urlMs = url.at - spawnedAt
    const address = new URL(url.href)
    address.hostname = '127.0.0.1' // browser-sync names localhost
    const { body, attempts } = await getPage(new URL('/index.html', address))
    const pageMs = now() - spawnedAt
    if (!tool.client(body)) throw new Error(`${tool.name}: ${address.href}index.html came without the live-reload client\n--- body ---\n${body.slice(0, 1500)}`)
    return { urlMs, pageMs, attempts }
  })()

  const outcome = await Promise.race([measured, bounded]).then(value => ({ value }), error => ({ error }))
  clearTimeout(timer)
  child.removeAllListeners('exit')
  bounded.catch(() => {})
  measured.catch(() => {})
  // Ended as a user ends it: Node ≥ 22 writes its compile cache as a process exits, so a start
  // killed outright leaves a build that has never exited cleanly uncached for the whole run.
  if ('value' in outcome) await stopGroup(child.pid, closed)
  killGroup(child.pid)
  const gone = await Promise.race([closed.then(() => true), sleep(EXIT_TIMEOUT_MS).then(() => false)])
  groups.delete(child.pid)
  if ('error' in outcome) throw outcome.error
  if (!gone) throw new Error(`${tool.name}: still running ${EXIT_TIMEOUT_MS} ms after SIGKILL to its group`)
  return outcome.value
}

/**
 * GETs `url` as a browser asks for a page, until it has the whole body. A refused connection
 * (the URL printed before the server listens) is tried again after 5 ms; the caller's timeout
 * bounds that.
 */
async function getPage (url) {
  for (let attempts = 1; ; attempts++) {
    try {
      return { body: await get(url), attempts }
    } catch (err) {
      if (err.code !== 'ECONNREFUSED' && err.code !== 'ECONNRESET') throw err
      await sleep(5)
    }
  }
}

function get (url) {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent: false,
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-encoding': 'identity' }
    }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', chunk => { body += chunk })
      res.on('end', () => res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url.href}: ${res.statusCode}\n${body.slice(0, 500)}`)))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The site: index.html of about 2 KB with a stylesheet, as a small project's first page. */
function site () {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'cli-start-')))
  const dir = join(base, 'site')
  mkdirSync(dir)
  const paragraphs = Array.from({ length: 12 }, (_, i) => `    <p>Paragraph ${i + 1}: a few words about the page, so that it weighs what a small first page does.</p>`).join('\n')
  writeFileSync(join(dir, 'index.html'), `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Start-up</title>
    <link rel="stylesheet" href="style.css">
  </head>
  <body>
    <h1>Start-up</h1>
${paragraphs}
  </body>
</html>
`)
  writeFileSync(join(dir, 'style.css'), 'body { font: 16px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; }\nh1 { color: #345; }\np { color: #222; }\n')
  return { base, dir }
}

// ---------------------------------------------------------------------------------------------
const results = new Map(TOOLS.map(tool => [tool.name, { urlMs: [], pageMs: [], retried: 0 }]))
const loadBefore = loadavg()
const startedAt = new Date()
const { base, dir } = site()
let roundsDone = 0

function report (complete) {
  const ours = median(results.get('ours').pageMs)
  const rows = TOOLS.map(tool => {
    const { urlMs, pageMs } = results.get(tool.name)
    return [tool.name, fmt(median(urlMs), 0), fmt(percentile(urlMs, 95), 0), fmt(median(pageMs), 0), fmt(percentile(pageMs, 95), 0), `${pageMs.length}/${N}`]
  })
  const ratios = TOOLS.filter(tool => tool.name !== 'ours')
    .map(tool => `${tool.name} ${fmt(median(results.get(tool.name).pageMs) / ours, 2)}×`)
  const retried = TOOLS.filter(tool => results.get(tool.name).retried > 0).map(tool => `${tool.name} ${results.get(tool.name).retried}`)
  const headers = ['tool', 'URL printed p50', 'URL printed p95', 'first page p50', 'first page p95', 'rounds ok']
  return [
    '# CLI start-up',
    '',
    `${startedAt.toISOString()} · ${cpus()[0].model} × ${cpus().length} · load average before ${loadBefore.map(v => v.toFixed(2)).join(' ')} · node ${process.version} · ${TOOLS.map(tool => `${tool.name} ${tool.version}`).join(' · ')}`,
    '',
    ...(complete ? [] : [`**Incomplete: the deadline (${DEADLINE_S} s) passed after ${roundsDone} of ${N} rounds.**`, '']),
    `${N} rounds (after ${WARMUP} untimed), the tools one after the other in an order that turns each round; each start a fresh process on a free port, stopped (Ctrl-C, as a user does) before the next. Times in ms from spawn: "URL printed", the line naming the local URL on stdout; "first page", a GET of /index.html (sent once the URL is printed) complete and holding the tool's live-reload client. Site: index.html of 2 KB and a stylesheet. ours: \`fastify-livereload <dir> --port <p> --no-open\`; live-server: \`--port=<p> --host=127.0.0.1 --no-browser <dir>\` (no --quiet, which hides the URL line); browser-sync: \`start --server <dir> --watch --port <p> --no-open --no-notify --no-ui\`.`,
    '',
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map(row => `| ${row.join(' | ')} |`),
    '',
    `First page p50, rival ÷ ours: ${ratios.join(' · ')}`,
    ...(retried.length > 0 ? ['', `Pages asked again after a refused connection (URL printed before listening): ${retried.join(' · ')}`] : []),
    ''
  ].join('\n')
}

const deadline = setTimeout(() => {
  killGroups()
  rmSync(base, { recursive: true, force: true })
  console.error(`cli-start: deadline (${DEADLINE_S} s) passed, run failed; the figures so far:`)
  console.error(report(false))
  process.exit(2)
}, DEADLINE_S * 1000)

try {
  for (let round = -WARMUP; round < N; round++) {
    for (let k = 0; k < TOOLS.length; k++) {
      const tool = inTurn(TOOLS, round, k)
      const { urlMs, pageMs, attempts } = await start(tool, dir)
      if (round >= 0) {
        const result = results.get(tool.name)
        result.urlMs.push(urlMs)
        result.pageMs.push(pageMs)
        if (attempts > 1) result.retried++
      }
      console.error(`${round < 0 ? 'warm-up' : `round ${round + 1}/${N}`} ${tool.name}: URL ${fmt(urlMs, 0)} ms, page ${fmt(pageMs, 0)} ms${attempts > 1 ? ` (${attempts} attempts)` : ''}`)
      await sleep(PAUSE_MS)
    }
    if (round >= 0) roundsDone++
  }
} catch (err) {
  killGroups()
  console.error(`cli-start: run failed\n${err.message}`)
  rmSync(base, { recursive: true, force: true })
  process.exit(1)
}
rmSync(base, { recursive: true, force: true })

const text = report(true)
console.log(text)
mkdirSync(path('results/'), { recursive: true })
writeFileSync(path('results/cli-start.md'), text)
clearTimeout(deadline)
process.exit(0)
