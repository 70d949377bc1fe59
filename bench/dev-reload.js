// Reloading a Fastify app's code: the dev server (`dev()`, fastify-livereload/dev) beside the
// tools users would run instead, on the same generated app, in one run.
// Plain script: `npm run build` first (the dev server runs from dist/), `npm --prefix bench
// install` (fastify-cli), then `node bench/dev-reload.js`. Results go to stdout and
// bench/results/dev-reload.md; progress to stderr.
//
// The app (bench/lib/fastify-app.js, generated at run time into a temporary directory, one fresh
// copy per tool): fastify-cli shaped, 50 routes in files of their own, 25 with JSON schemas; GET
// /version answers a marker that the bench edits, GET /slow answers after 200 ms, GET /ping names
// the pid and the port of the process that answered. The TypeScript copy is the same app in .ts.
//
// The tools, each started fresh on its own copy, one after the other, and stopped (its whole
// process group) before the next:
//   ours (JS)          dev({ entry: 'app.js', port: 0 }) in a child process of this script (this file
//                      with --supervisor; --expose-gc, for figure d)
//   ours (TS)          the same on app.ts: each generation runs through tsx
//   node --watch       `node --watch server.js`, server.js a standalone server of app.js on PORT
//   fastify-cli        `fastify start --watch --options -a 127.0.0.1 -p <port> app.js` (7.x)
//
// Figures (see the note written with the table for what each means):
//   a. edit → new code serving, p50 / p95 of DEV_RELOAD_EDITS edits (default 20), each
//      DEV_RELOAD_GAP_MS (default 1500) after the previous one served, after DEV_RELOAD_WARMUP
//      untimed ones (default 1); ours also: edit → `reload` message on a WebSocket client
//   b. requests failed during DEV_RELOAD_LOAD_EDITS swaps (default 20) under DEV_RELOAD_LOOPS
//      concurrent request loops (default 20: half on /version, half on /slow)
//   c. (ours JS) forwarding overhead: DEV_RELOAD_FORWARD_N sequential GETs of /ping (default
//      2000, after DEV_RELOAD_FORWARD_WARMUP, default 200) through the supervisor's port,
//      straight to the generation's, and through a floor (a bare Fastify with @fastify/http-proxy,
//      this file with --proxy-floor); for dev() and for the command `fastify-livereload dev`
//   d. (ours JS, a fresh instance) supervisor heap after gc over DEV_RELOAD_HEAP_RELOADS reloads
//      (default 200) after DEV_RELOAD_HEAP_WARMUP (default 50): V8 compiles the supervisor's
//      per-reload code as it gets hot, which is growth that stops, not drift
//   e. (ours) `reload` and `error` messages on the channel over the edits of (a) plus
//      DEV_RELOAD_BROKEN broken edits (default 5) each followed by a fix; channel closes
// DEV_RELOAD_TOOLS=ours-js,node-watch runs some tools only (keys: ours-js, ours-ts, node-watch,
// fastify-cli; d runs with ours-js or heap); DEV_RELOAD_HEAP_GAP_MS (default 100) spaces (d)'s
// edits; DEV_RELOAD_TRACE=1 prints every channel message, failed request and the tools' stderr;
// DEV_RELOAD_DEADLINE_S (default 1200) bounds the whole run: past it, every child is killed, the
// figures so far are printed, exit 2. `node bench/dev-reload.js --generate <dir> [js|ts]` writes
// the app alone, to look at or run by hand.
//
// Every wait is bounded and fails loudly, naming the tool, with the tail of its stderr. Loopback
// only. Clock: CLOCK_MONOTONIC (process.hrtime) in this process.
import { execFileSync, fork, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { getHeapSpaceStatistics } from 'node:v8'
import { fileURLToPath, pathToFileURL } from 'node:url'
import WebSocket from 'ws'
import { SLOW_MS, versionSource, writeApp } from './lib/fastify-app.js'
import { fmt, freePort, now, percentile, sleep } from './lib/harness.js'

const path = relative => fileURLToPath(new URL(relative, import.meta.url))
const SELF = path('dev-reload.js')

// ---------------------------------------------------------------------------------------------
// The supervisor: this file run as `node --expose-gc dev-reload.js --supervisor <entry>`. It
// runs dev() and answers the bench over IPC: `ready` with its URL, `heap` after gc, `stop`.
if (process.argv[2] === '--generate') {
  // `node bench/dev-reload.js --generate <dir> [js|ts]`: the app alone, to look at or run by hand
  const dir = process.argv[3]
  if (dir === undefined || existsSync(dir)) throw new Error('usage: --generate <new directory> [js|ts]')
  console.log(writeApp(dir, process.argv[4] ?? 'js').entry)
} else if (process.argv[2] === '--proxy-floor') {
  // figure c's floor: what the supervisor forwards through, alone, resolved from the repository
  const require = createRequire(path('../package.json'))
  const { default: Fastify } = await import(pathToFileURL(require.resolve('fastify')).href)
  const { default: httpProxy } = await import(pathToFileURL(require.resolve('@fastify/http-proxy')).href)
  const app = Fastify()
  await app.register(httpProxy, { upstream: `http://127.0.0.1:${process.argv[3]}` })
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.send({ type: 'ready', port: app.server.address().port })
  process.on('disconnect', () => process.exit(0))
} else if (process.argv[2] === '--supervisor') {
  const { dev } = await import('../dist/dev/dev.js')
  const server = await dev({ entry: process.argv[3], port: 0 })
  process.on('message', async message => {
    if (message.type === 'heap') {
      globalThis.gc()
      await sleep(50)
      globalThis.gc()
      const { heapUsed, rss } = process.memoryUsage()
      const codeSpace = getHeapSpaceStatistics().find(space => space.space_name === 'code_space')?.space_used_size ?? 0
      process.send({ type: 'heap', heapUsed, rss, codeSpace })
    } else if (message.type === 'stop') {
      await server.close()
      process.exit(0)
    }
  })
  process.on('disconnect', () => { server.close().finally(() => process.exit(0)) })
  process.send({ type: 'ready', url: server.url })
} else {
  await main()
}

// ---------------------------------------------------------------------------------------------
async function main () {
  const env = (name, fallback) => Number(process.env[name] ?? fallback)
  const EDITS = env('DEV_RELOAD_EDITS', 20)
  const WARMUP = env('DEV_RELOAD_WARMUP', 1)
  const GAP_MS = env('DEV_RELOAD_GAP_MS', 1500)
  const LOAD_EDITS = env('DEV_RELOAD_LOAD_EDITS', 20)
  const LOOPS = env('DEV_RELOAD_LOOPS', 20)
  const FORWARD_N = env('DEV_RELOAD_FORWARD_N', 2000)
  const FORWARD_WARMUP = env('DEV_RELOAD_FORWARD_WARMUP', 200)
  const HEAP_RELOADS = env('DEV_RELOAD_HEAP_RELOADS', 200)
  const HEAP_WARMUP = env('DEV_RELOAD_HEAP_WARMUP', 50)
  const HEAP_EDITS = HEAP_WARMUP + HEAP_RELOADS
  const HEAP_GAP_MS = env('DEV_RELOAD_HEAP_GAP_MS', 100)
  const BROKEN = env('DEV_RELOAD_BROKEN', 5)
  const DEADLINE_S = env('DEV_RELOAD_DEADLINE_S', 1200)
  const TRACE = process.env.DEV_RELOAD_TRACE === '1'
  const ONLY = process.env.DEV_RELOAD_TOOLS?.split(',').map(name => name.trim())

  /** A tool may take this long (ms) to serve its first /version. */
  const START_TIMEOUT_MS = 60_000
  /** An edit may take this long (ms) to be served (under load too) before the run fails. */
  const SERVE_TIMEOUT_MS = 30_000
  /** A message on the channel may come this long (ms) after what it follows. */
  const MESSAGE_TIMEOUT_MS = 30_000
  /** A stopped tool must be gone within this long (ms), else its group is killed and that noted. */
  const STOP_TIMEOUT_MS = 10_000
  /** One request of the bench may take this long (ms): past it, it counts as failed. */
  const REQUEST_TIMEOUT_MS = 10_000
  /** Before a heap sample: the retired generation is gone and the supervisor idle. */
  const HEAP_SETTLE_MS = 500
  const HEAP_AT = [...new Set([10, 50, 100, 150, 200, HEAP_WARMUP, HEAP_EDITS].filter(n => n <= HEAP_EDITS))].sort((a, b) => a - b)

  const versionOf = file => JSON.parse(readFileSync(path(file), 'utf8')).version
  const FASTIFY_CLI = path('node_modules/fastify-cli/cli.js')
  const VERSIONS = {
    ours: versionOf('../package.json'),
    tsx: versionOf('../node_modules/tsx/package.json'),
    fastifyCli: versionOf('node_modules/fastify-cli/package.json'),
    fastify: versionOf('node_modules/fastify/package.json')
  }
  const commit = (() => {
    try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: path('..'), encoding: 'utf8' }).trim() } catch { return '?' }
  })()
  if (!existsSync(path('../dist/dev/dev.js'))) fatal('dist/dev/dev.js is missing: run `npm run build` in the repository first')
  if (!existsSync(FASTIFY_CLI)) fatal('bench/node_modules/fastify-cli is missing: run `npm --prefix bench install`')

  const TOOLS = [
    { key: 'ours-js', name: 'ours (JS)', lang: 'js', ours: true, forward: true },
    { key: 'ours-ts', name: 'ours (TS, tsx)', lang: 'ts', ours: true },
    { key: 'node-watch', name: 'node --watch', lang: 'js' },
    { key: 'fastify-cli', name: 'fastify-cli start --watch', lang: 'js' }
  ].filter(tool => ONLY === undefined || ONLY.includes(tool.key))

  // -------------------------------------------------------------------------------------------
  // Processes: every child is the leader of its own group, killed whole at the end and on failure.
  const groups = new Set()
  const killGroup = pid => { try { process.kill(-pid, 'SIGKILL') } catch {} }
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'dev-reload-')))
  /** Processes of this run still alive that name its temporary directory (a generation left behind, say). */
  function strays (dir = base) {
    const found = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
        let cwd = ''
        try { cwd = readlinkSync(`/proc/${entry}/cwd`) } catch {}
        if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) found.push({ pid: Number(entry), cmdline: cmdline.trim() })
      } catch {}
    }
    return found
  }
  function cleanUp () {
    for (const pid of groups) killGroup(pid)
    groups.clear()
    for (const { pid } of strays()) { try { process.kill(pid, 'SIGKILL') } catch {} }
    rmSync(base, { recursive: true, force: true })
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { cleanUp(); process.exit(130) })

  function fatal (message) {
    console.error(`dev-reload: ${message}`)
    process.exit(1)
  }
  const log = line => console.error(line)
  const tail = text => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').slice(-1500).trimEnd() || '(nothing)' // eslint-disable-line no-control-regex

  const generateApp = (name, lang) => writeApp(join(base, name), lang)

  // -------------------------------------------------------------------------------------------
  // HTTP and the channel.
  function get (port, urlPath, { agent = false, timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: urlPath, agent, headers: { accept: 'application/json, text/plain, */*' } }, res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', chunk => { body += chunk })
        res.on('end', () => resolve({ status: res.statusCode, body }))
        res.on('error', reject)
      })
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })))
      req.on('error', reject)
      req.end()
    })
  }

  /** Polls GET /version every 5 ms (a fresh connection each) until it answers `marker`; the time it did. */
  async function waitServed (running, marker, timeoutMs = SERVE_TIMEOUT_MS, what = `serving "${marker}"`) {
    const until = now() + timeoutMs
    let last = '(no answer yet)'
    while (now() < until) {
      try {
        const { status, body } = await get(running.port, '/version', { timeoutMs: Math.max(1, Math.min(2000, until - now())) })
        if (status === 200 && body === marker) return now()
        last = `${status} ${body.slice(0, 120)}`
      } catch (err) {
        last = err.code ?? err.message
      }
      await sleep(5)
    }
    throw running.failure(`not ${what} within ${timeoutMs} ms (last answer: ${last})`)
  }

  /** A WebSocket client of ours' channel: every message with its receipt time; closes counted. */
  async function connectChannel (running) {
    const { port } = running
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`, { headers: { origin: `http://127.0.0.1:${port}` } })
    const channel = { messages: [], closes: 0, isClosing: false, waiters: new Set() }
    ws.on('error', err => { channel.lastError = err.message })
    ws.on('close', () => { if (!channel.isClosing) channel.closes++ })
    ws.on('message', data => {
      const message = JSON.parse(data.toString())
      channel.messages.push({ type: message.type, at: now(), message })
      if (TRACE) log(`    [${running.tool.key} channel ${fmt(now(), 0)}] ${data.toString().slice(0, 300)}`)
      for (const waiter of channel.waiters) waiter()
    })
    /** The first message of `type` received at or after `since` (bounded). */
    channel.next = (type, since, timeoutMs = MESSAGE_TIMEOUT_MS) => new Promise((resolve, reject) => {
      const check = () => {
        const found = channel.messages.find(m => m.type === type && m.at >= since)
        if (found === undefined) return false
        clearTimeout(timer)
        channel.waiters.delete(check)
        resolve(found)
        return true
      }
      const timer = setTimeout(() => {
        channel.waiters.delete(check)
        reject(running.failure(`no "${type}" message on the channel within ${timeoutMs} ms`))
      }, timeoutMs)
      if (!check()) channel.waiters.add(check)
    })
    channel.count = (type, from, to = Infinity) => channel.messages.filter(m => m.type === type && m.at >= from && m.at < to).length
    channel.close = () => { channel.isClosing = true; ws.terminate() }
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(running.failure('the channel did not open within 10 s')), 10_000)
      ws.once('open', () => { clearTimeout(timer); resolve() })
      ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(running.failure(`the channel answered ${res.statusCode}`)) })
    })
    const hello = await channel.next('hello', 0, 10_000)
    if (hello === undefined) throw running.failure('no hello')
    return channel
  }

  // -------------------------------------------------------------------------------------------
  // Starting and stopping a tool.
  async function start (tool, app) {
    let child
    let port
    if (tool.cli) {
      child = spawn(process.execPath, [path('../dist/cli.js'), 'dev', app.entry, '--port', '0', '--no-open'], { cwd: app.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    } else if (tool.ours) {
      child = fork(SELF, ['--supervisor', app.entry], { cwd: app.dir, execArgv: ['--expose-gc'], detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    } else {
      port = await freePort()
      const args = tool.key === 'node-watch'
        ? ['--watch', 'server.js']
        : [FASTIFY_CLI, 'start', '--watch', '--options', '-a', '127.0.0.1', '-p', String(port), 'app.js']
      child = spawn(process.execPath, args, { cwd: app.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: String(port), NO_COLOR: '1', FORCE_COLOR: '0' } })
    }
    groups.add(child.pid)
    let stderr = ''
    let stdout = ''
    child.stderr.setEncoding('utf8').on('data', chunk => { stderr = (stderr + chunk).slice(-4000); if (TRACE) process.stderr.write(chunk) })
    child.stdout.setEncoding('utf8').on('data', chunk => { stdout = (stdout + chunk).slice(-4000) })
    const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve(code ?? signal)))
    const running = {
      tool,
      app,
      child,
      port,
      exited,
      failure: why => new Error(`${tool.name}: ${why}\n--- stderr tail ---\n${tail(stderr)}\n--- stdout tail ---\n${tail(stdout)}`),
      async stop () {
        if (child.exitCode === null && child.signalCode === null) {
          if (tool.ours && !tool.cli) child.send({ type: 'stop' })
          else { try { process.kill(-child.pid, 'SIGTERM') } catch {} }
        }
        const gone = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)])
        killGroup(child.pid)
        groups.delete(child.pid)
        await sleep(500)
        const left = strays(app.dir)
        for (const { pid } of left) { try { process.kill(pid, 'SIGKILL') } catch {} }
        return { gone, left }
      }
    }
    const startedAt = now()
    const early = exited.then(code => { throw running.failure(`exited (${code}) before it served`) })
    early.catch(() => {})
    if (tool.cli) {
      // `running <entry>, restarted on code changes, with live reload at http://127.0.0.1:<port>`
      const url = new Promise(resolve => {
        const on = () => {
          const match = / with live reload at (http:\/\/\S+)/.exec(tail(stdout))
          if (match !== null) { child.stdout.off('data', on); resolve(match[1]) }
        }
        child.stdout.on('data', on)
      })
      running.port = Number(new URL(await bounded(Promise.race([url, early]), START_TIMEOUT_MS, () => running.failure(`no URL printed within ${START_TIMEOUT_MS} ms`))).port)
    } else if (tool.ours) {
      const ready = new Promise(resolve => child.once('message', resolve))
      const message = await bounded(Promise.race([ready, early]), START_TIMEOUT_MS, () => running.failure(`dev() did not resolve within ${START_TIMEOUT_MS} ms`))
      running.port = Number(new URL(message.url).port)
    }
    await Promise.race([waitServed(running, 'start', START_TIMEOUT_MS - (now() - startedAt), 'serving its first /version'), early])
    running.startMs = now() - startedAt
    return running
  }

  async function bounded (promise, ms, failure) {
    let timer
    const timeout = new Promise((_resolve, reject) => { timer = setTimeout(() => reject(failure()), ms) })
    try {
      return await Promise.race([promise, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  let markerCount = 0
  const newMarker = (tool, what) => `${tool.key}-${what}-${++markerCount}-${Math.random().toString(36).slice(2, 8)}`
  const edit = (app, marker, broken = false) => writeFileSync(app.versionFile, versionSource(app.lang, marker, broken))

  // -------------------------------------------------------------------------------------------
  // Figures.
  /** (a), and (e) on ours: timed edits, then broken edits each followed by a fix. */
  async function editsServed (running, channel, result) {
    const { tool, app } = running
    result.serveMs = []
    result.reloadMs = []
    const perEdit = []
    for (let i = -WARMUP; i < EDITS; i++) {
      const marker = newMarker(tool, i < 0 ? 'warm' : `a${i}`)
      const t0 = now()
      if (TRACE) log(`    [${tool.key} ${fmt(t0, 0)}] edit ${marker}`)
      edit(app, marker)
      const served = await waitServed(running, marker)
      let reloadAt
      if (channel !== null) reloadAt = (await channel.next('reload', t0)).at
      if (i >= 0) {
        result.serveMs.push(served - t0)
        if (reloadAt !== undefined) result.reloadMs.push(reloadAt - t0)
      }
      log(`  ${tool.name} edit ${i < 0 ? 'warm-up' : `${i + 1}/${EDITS}`}: served ${fmt(served - t0, 0)} ms${reloadAt === undefined ? '' : `, reload message ${fmt(reloadAt - t0, 0)} ms`}`)
      await sleep(GAP_MS)
      if (i >= 0) perEdit.push({ t0, end: now() })
    }
    if (channel === null) return
    // (e): per window from an edit's write to the end of its gap
    const e = { good: 0, reloads: 0, oddGood: [], broken: 0, errors: 0, reloadsOnBroken: 0, oddBroken: [], building: 0, rebuilt: 0 }
    const from = perEdit[0]?.t0 ?? now()
    for (const [i, { t0, end }] of perEdit.entries()) {
      e.good++
      if (channel.count('building', t0, end) > 1) e.rebuilt++
      const n = channel.count('reload', t0, end)
      e.reloads += n
      if (n !== 1 || channel.count('error', t0, end) !== 0) e.oddGood.push(`edit ${i + 1}: ${n} reload, ${channel.count('error', t0, end)} error`)
    }
    let served = await get(running.port, '/version').then(r => r.body)
    for (let k = 0; k < BROKEN; k++) {
      const t0 = now()
      if (TRACE) log(`    [${tool.key} ${fmt(t0, 0)}] broken edit`)
      edit(app, newMarker(tool, `broken${k}`), true)
      const error = await channel.next('error', t0)
      await sleep(GAP_MS)
      const still = await get(running.port, '/version')
      const end = now()
      const errors = channel.count('error', t0, end)
      const reloads = channel.count('reload', t0, end)
      if (channel.count('building', t0, end) > 1) e.rebuilt++
      e.broken++
      e.errors += errors
      e.reloadsOnBroken += reloads
      if (errors !== 1 || reloads !== 0 || still.status !== 200 || still.body !== served) {
        e.oddBroken.push(`broken ${k + 1}: ${errors} error, ${reloads} reload, /version then ${still.status} ${still.body.slice(0, 60)}`)
      }
      log(`  ${tool.name} broken edit ${k + 1}/${BROKEN}: error message ${fmt(error.at - t0, 0)} ms; the old version answers: ${still.status === 200 && still.body === served}`)
      const marker = newMarker(tool, `fix${k}`)
      const f0 = now()
      if (TRACE) log(`    [${tool.key} ${fmt(f0, 0)}] fix ${marker}`)
      edit(app, marker)
      await waitServed(running, marker)
      await channel.next('reload', f0)
      await sleep(GAP_MS)
      const fixEnd = now()
      const n = channel.count('reload', f0, fixEnd)
      if (channel.count('building', f0, fixEnd) > 1) e.rebuilt++
      e.good++
      e.reloads += n
      if (n !== 1 || channel.count('error', f0, fixEnd) !== 0) e.oddGood.push(`fix ${k + 1}: ${n} reload, ${channel.count('error', f0, fixEnd)} error`)
      served = marker
    }
    e.building = channel.count('building', from)
    e.closesSoFar = channel.closes
    result.e = e
  }

  /** (b): edits under concurrent request loops on /version and /slow. */
  async function underLoad (running, channel, result) {
    const { tool, app } = running
    const b = { ok: 0, status: 0, connection: 0, timeout: 0, statuses: {}, errors: {}, servedMs: [], slowOk: 0, versionOk: 0, samples: [] }
    const state = { isRunning: true }
    const loop = async urlPath => {
      while (state.isRunning) {
        try {
          const { status, body } = await get(running.port, urlPath)
          if (status >= 200 && status < 300) {
            b.ok++
            if (urlPath === '/slow') b.slowOk++
            else b.versionOk++
            continue
          }
          b.status++
          b.statuses[status] = (b.statuses[status] ?? 0) + 1
          if (b.samples.length < 5) b.samples.push(`${urlPath} → ${status} ${body.slice(0, 200)}`)
          if (TRACE) log(`    [${tool.key} ${fmt(now(), 0)}] ${urlPath} → ${status} ${body.slice(0, 200)}`)
        } catch (err) {
          if (err.code === 'ETIMEDOUT') b.timeout++
          else b.connection++
          b.errors[err.code ?? err.message] = (b.errors[err.code ?? err.message] ?? 0) + 1
        }
        await sleep(5) // a failed request is tried again after 5 ms, not at once
      }
    }
    const loops = Array.from({ length: LOOPS }, (_, j) => loop(j % 2 === 0 ? '/version' : '/slow'))
    const reloadsBefore = channel?.count('reload', 0) ?? 0
    try {
      await sleep(1000)
      for (let i = 0; i < LOAD_EDITS; i++) {
        const marker = newMarker(tool, `b${i}`)
        const t0 = now()
        if (TRACE) log(`    [${tool.key} ${fmt(t0, 0)}] edit ${marker}`)
        edit(app, marker)
        const served = await waitServed(running, marker)
        b.servedMs.push(served - t0)
        log(`  ${tool.name} edit under load ${i + 1}/${LOAD_EDITS}: served ${fmt(served - t0, 0)} ms; failed so far ${b.status + b.connection + b.timeout} of ${b.ok + b.status + b.connection + b.timeout}`)
        await sleep(GAP_MS)
      }
    } finally {
      state.isRunning = false
      await Promise.all(loops)
    }
    if (channel !== null) b.reloads = channel.count('reload', 0) - reloadsBefore
    result.b = b
  }

  /** (c): /ping through the supervisor and straight to the generation that answers it. */
  async function forwarding (running) {
    const first = JSON.parse((await get(running.port, '/ping')).body)
    const direct = first.port
    if (direct === running.port) throw running.failure('/ping through the supervisor named the supervisor\'s own port')
    const floor = await startFloor(direct)
    try {
      const ways = ['supervisor', 'direct', 'floor']
      const agents = Object.fromEntries(ways.map(way => [way, new Agent({ keepAlive: true, maxSockets: 1 })]))
      const ports = { supervisor: running.port, direct, floor: floor.port }
      const times = Object.fromEntries(ways.map(way => [way, []]))
      const once1 = async which => {
        const t0 = now()
        const { status, body } = await get(ports[which], '/ping', { agent: agents[which] })
        const ms = now() - t0
        if (status !== 200 || JSON.parse(body).port !== direct) throw running.failure(`/ping (${which}) answered ${status} ${body}`)
        return ms
      }
      for (let i = 0; i < FORWARD_WARMUP; i++) for (const way of ways) await once1(way)
      // blocks of 100 in an order that turns, so that drift in the machine's load meets each alike
      const BLOCK = 100
      for (let done = 0, round = 0; done < FORWARD_N; done += BLOCK, round++) {
        for (let k = 0; k < ways.length; k++) {
          const way = ways[(round + k) % ways.length]
          for (let i = 0; i < Math.min(BLOCK, FORWARD_N - done); i++) times[way].push(await once1(way))
        }
      }
      for (const agent of Object.values(agents)) agent.destroy()
      const after = JSON.parse((await get(running.port, '/ping')).body)
      if (after.port !== direct) throw running.failure('the generation changed during the forwarding figure')
      const c = { n: times.supervisor.length }
      for (const way of ways) c[way] = { p50: percentile(times[way], 50), p95: percentile(times[way], 95) }
      log(`  ${running.tool.name} forwarding p50: supervisor ${fmt(c.supervisor.p50, 3)} ms, direct ${fmt(c.direct.p50, 3)} ms, bare @fastify/http-proxy ${fmt(c.floor.p50, 3)} ms`)
      return c
    } finally {
      await floor.stop()
    }
  }

  /** A bare Fastify with @fastify/http-proxy (the supervisor's proxy, nothing else) in front of `upstream`: the floor. */
  async function startFloor (upstream) {
    const child = fork(SELF, ['--proxy-floor', String(upstream)], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    groups.add(child.pid)
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', chunk => { stderr = (stderr + chunk).slice(-2000) })
    const exited = new Promise(resolve => child.once('exit', resolve))
    const ready = new Promise(resolve => child.once('message', resolve))
    const message = await bounded(Promise.race([ready, exited.then(code => { throw new Error(`proxy floor exited (${code})\n${tail(stderr)}`) })]), 20_000, () => new Error(`proxy floor did not start within 20 s\n${tail(stderr)}`))
    return {
      port: message.port,
      async stop () {
        killGroup(child.pid)
        groups.delete(child.pid)
        await bounded(exited, STOP_TIMEOUT_MS, () => new Error('proxy floor did not exit'))
      }
    }
  }

  /** (c) again through the command (`fastify-livereload dev`), whose supervisor has a logger. */
  async function forwardingCli () {
    const tool = { key: 'ours-cli', name: 'ours (JS, CLI `dev`)', lang: 'js', ours: true, cli: true }
    const running = await start(tool, generateApp('cli', 'js'))
    try {
      return await forwarding(running)
    } finally {
      const stopped = await running.stop()
      if (!stopped.gone || stopped.left.length > 0) log(`  ${tool.name}: not stopped cleanly (${stopped.left.length} left)`)
    }
  }

  /** The supervisor's children (generations and the standby) and its open file descriptors. */
  function supervisorCensus (pid) {
    let children = 0
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] === String(pid)) children++
      } catch {}
    }
    let fds = NaN
    try { fds = readdirSync(`/proc/${pid}/fd`).length } catch {}
    return { children, fds }
  }

  /** (d): a fresh ours (JS), HEAP_RELOADS edits each awaited until served, heap after gc at some of them. */
  async function heapDrift (result) {
    const tool = TOOLS.find(t => t.key === 'ours-js') ?? { key: 'ours-js', name: 'ours (JS)', lang: 'js', ours: true }
    const app = generateApp('heap', 'js')
    log(`${tool.name}, heap drift over ${HEAP_RELOADS} reloads after ${HEAP_WARMUP}`)
    const running = await start(tool, app)
    const channel = await connectChannel(running)
    const d = { samples: [], serveMs: [], reloads: 0 }
    result.d = d
    const heap = async () => {
      const reply = new Promise(resolve => {
        const on = message => { if (message.type === 'heap') { running.child.off('message', on); resolve(message) } }
        running.child.on('message', on)
      })
      running.child.send({ type: 'heap' })
      return await bounded(reply, 10_000, () => running.failure('no heap figure within 10 s'))
    }
    try {
      const from = now()
      for (let i = 1; i <= HEAP_EDITS; i++) {
        const marker = newMarker(tool, `d${i}`)
        const t0 = now()
        edit(app, marker)
        await waitServed(running, marker)
        d.serveMs.push(now() - t0)
        await channel.next('reload', t0)
        if (HEAP_AT.includes(i)) {
          await sleep(HEAP_SETTLE_MS)
          const { heapUsed, rss, codeSpace } = await heap()
          d.samples.push({ reload: i, heapUsed, codeSpace, rss, ...supervisorCensus(running.child.pid) })
          log(`  heap at reload ${i}: ${fmt(heapUsed / 2 ** 20, 2)} MB (rss ${fmt(rss / 2 ** 20, 1)} MB)`)
        } else {
          await sleep(HEAP_GAP_MS)
        }
      }
      d.reloads = channel.count('reload', from)
      d.building = channel.count('building', from)
      d.closes = channel.closes
    } finally {
      channel.close()
      const { gone, left } = await running.stop()
      d.stopped = { gone, left }
    }
  }

  // -------------------------------------------------------------------------------------------
  const results = new Map(TOOLS.map(tool => [tool.key, {}]))
  const loadBefore = loadavg()
  const startedAt = new Date()
  const ms = value => fmt(value, 0)

  function report (complete, problem) {
    const loadAfter = loadavg()
    const lines = [
      '# Dev server: code reloads',
      '',
      `${startedAt.toISOString()} · ${cpus()[0].model} × ${cpus().length} · load average before ${loadBefore.map(v => v.toFixed(2)).join(' ')}, after ${loadAfter.map(v => v.toFixed(2)).join(' ')} · node ${process.version} · ours ${VERSIONS.ours} (commit ${commit}) · tsx ${VERSIONS.tsx} · fastify-cli ${VERSIONS.fastifyCli} · fastify ${VERSIONS.fastify}`,
      ''
    ]
    if (!complete) lines.push(`**Incomplete: ${problem}**`, '')
    lines.push(
      `The same generated app for every tool (a fresh copy each): 50 routes in files of their own under routes/, registered from app.js, 25 with JSON schemas for params, querystring and response; \`/version\` answers a marker the bench edits (the whole routes/version file written in place), \`/slow\` answers after ${SLOW_MS} ms. ` +
      'ours (JS): `dev({ entry: \'app.js\', port: 0 })` in a child process; ours (TS): the same app in .ts files, each generation through tsx; node --watch: `node --watch server.js`, a standalone server of app.js; fastify-cli: `fastify start --watch --options -a 127.0.0.1 -p <port> app.js`. ' +
      'Tools one after the other, each stopped before the next; loopback only.',
      '',
      `- **edit → serving**: from the write of a new marker to the first GET /version (polled every 5 ms, a new connection each) that answers it; ${EDITS} edits (after ${WARMUP} untimed), each ${GAP_MS} ms after the previous one served, no other load. **edit → reload msg** (ours): from the same write to the \`reload\` message on a WebSocket client of the channel.`,
      `- **failed / total under load**: ${LOAD_EDITS} edits (each ${GAP_MS} ms after the previous one served) while ${LOOPS} loops send requests back to back (${Math.ceil(LOOPS / 2)} on /version, ${Math.floor(LOOPS / 2)} on /slow; a new connection each; a failed one is tried again after 5 ms), from 1 s before the first edit to the end; failed = non-2xx answer, connection error or no answer within ${REQUEST_TIMEOUT_MS / 1000} s. **served under load**: edit → serving meanwhile.`,
      ''
    )
    const headers = ['tool', 'first /version after start', 'edit → serving p50', 'p95', 'edit → reload msg p50', 'p95', 'failed / total under load', 'of which non-2xx · conn. errors · timeouts', 'served under load p50', 'p95']
    const rows = TOOLS.map(tool => {
      const r = results.get(tool.key)
      const b = r.b
      const failed = b === undefined ? undefined : b.status + b.connection + b.timeout
      return [
        tool.name,
        r.startMs === undefined ? '–' : `${ms(r.startMs)} ms`,
        ms(percentile(r.serveMs ?? [], 50)), ms(percentile(r.serveMs ?? [], 95)),
        tool.ours ? ms(percentile(r.reloadMs ?? [], 50)) : 'n/a', tool.ours ? ms(percentile(r.reloadMs ?? [], 95)) : 'n/a',
        b === undefined ? '–' : `${failed} / ${failed + b.ok}`,
        b === undefined ? '–' : `${b.status} · ${b.connection} · ${b.timeout}`,
        ms(percentile(b?.servedMs ?? [], 50)), ms(percentile(b?.servedMs ?? [], 95))
      ]
    })
    lines.push(`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map(row => `| ${row.join(' | ')} |`), '')
    const detail = TOOLS.map(tool => {
      const b = results.get(tool.key).b
      if (b === undefined) return null
      const parts = [...Object.entries(b.statuses).map(([k, v]) => `${v}× ${k}`), ...Object.entries(b.errors).map(([k, v]) => `${v}× ${k}`)]
      const samples = [...new Set(b.samples)].slice(0, 3).map(sample => `\`${sample.replace(/`/g, "'")}\``).join(', ')
      return `${tool.name}: ${parts.length === 0 ? 'none failed' : parts.join(', ')} (ok: ${b.versionOk} /version, ${b.slowOk} /slow${b.reloads === undefined ? '' : `; ${b.reloads} reload messages`})${samples === '' ? '' : `; e.g. ${samples}`}`
    }).filter(Boolean)
    if (detail.length > 0) lines.push(`Failures under load, by kind: ${detail.join(' · ')}`, '')

    const { c, cCli } = results.get('ours-js') ?? {}
    if (c !== undefined) {
      const rows = (name, f) => [
        `| ${name}: through the supervisor | ${fmt(f.supervisor.p50, 3)} | ${fmt(f.supervisor.p95, 3)} |`,
        `| ${name}: straight to the generation | ${fmt(f.direct.p50, 3)} | ${fmt(f.direct.p95, 3)} |`,
        `| ${name}: **difference** | **${fmt(f.supervisor.p50 - f.direct.p50, 3)}** | ${fmt(f.supervisor.p95 - f.direct.p95, 3)} |`,
        `| ${name}: floor, a bare Fastify with @fastify/http-proxy in front of the same generation | ${fmt(f.floor.p50, 3)} | ${fmt(f.floor.p95, 3)} |`,
        `| ${name}: floor − direct | ${fmt(f.floor.p50 - f.direct.p50, 3)} | ${fmt(f.floor.p95 - f.direct.p95, 3)} |`
      ]
      lines.push(
        '### c. Forwarding overhead (ours, JS)',
        '',
        `GET /ping (a JSON object of two integers, with a response schema) sent ${c.n} times one after the other (after ${FORWARD_WARMUP} untimed each), on one keep-alive connection, in blocks of 100 whose order turns: through the supervisor's port, straight to the port of the generation that answers (the port /ping names), and through a floor: a bare Fastify with @fastify/http-proxy (the library the supervisor forwards with, from the repository's node_modules, at its defaults) in a process of its own in front of the same generation. \`dev()\`: the instance of the table above, measured after its edits (a) and before (b); the command: \`node dist/cli.js dev app.js --port 0 --no-open\` on a fresh copy, started for this figure alone. Target: p50 difference ≤ 1 ms.`,
        '',
        '| path | p50 ms | p95 ms |',
        '| --- | --- | --- |',
        ...rows('`dev()`', c),
        ...(cCli === undefined ? [] : rows('CLI `dev`', cCli)),
        ''
      )
    }
    const d = results.get('heap')?.d
    if (d !== undefined && d.samples.length > 0) {
      const first = d.samples[0]
      const last = d.samples.at(-1)
      const warm = d.samples.find(s => s.reload === HEAP_WARMUP) ?? first
      const early = d.samples.find(s => s.reload === 200) ?? last
      lines.push(
        '### d. Supervisor heap over reloads (ours, JS)',
        '',
        `A fresh ours (JS) with --expose-gc and one channel client; ${HEAP_EDITS} edits, each awaited until served and its \`reload\` message came, ${HEAP_GAP_MS} ms apart; at the reloads listed, ${HEAP_SETTLE_MS} ms of quiet, then gc() twice in the supervisor and process.memoryUsage(). Children: processes whose parent is the supervisor (the current generation and the standby: 2 expected). Target: heapUsed drift over ${HEAP_RELOADS} reloads ≤ 1 MB, measured from reload ${warm.reload} to ${last.reload}: the first ${HEAP_WARMUP} are V8 compiling the supervisor's per-reload code as it gets hot (code space), growth that stops; reload ${first.reload} → ${early.reload} is given too.`,
        '',
        '| reload | heapUsed MB | of which code space MB | rss MB | children | open fds |',
        '| --- | --- | --- | --- | --- | --- |',
        ...d.samples.map(s => `| ${s.reload} | ${fmt(s.heapUsed / 2 ** 20, 2)} | ${fmt(s.codeSpace / 2 ** 20, 2)} | ${fmt(s.rss / 2 ** 20, 1)} | ${s.children} | ${s.fds} |`),
        '',
        `heapUsed difference over ${HEAP_RELOADS} reloads, reload ${warm.reload} → ${last.reload}: **${fmt((last.heapUsed - warm.heapUsed) / 2 ** 20, 2)} MB**; reload ${first.reload} → ${early.reload}, warm-up included: ${fmt((early.heapUsed - first.heapUsed) / 2 ** 20, 2)} MB. Edit → serving over the ${d.serveMs.length} edits: p50 ${ms(percentile(d.serveMs, 50))} ms, p95 ${ms(percentile(d.serveMs, 95))} ms; ${d.reloads ?? '–'} reload messages, ${d.building ?? '–'} building messages; channel closes ${d.closes ?? '–'}${d.stopped === undefined ? '' : `; stopped cleanly: ${d.stopped.gone && d.stopped.left.length === 0 ? 'yes' : `no (${d.stopped.gone ? '' : 'not gone in time; '}${d.stopped.left.length} process(es) left)`}`}.`,
        ''
      )
    }
    const eRows = TOOLS.filter(tool => tool.ours && results.get(tool.key).e !== undefined).map(tool => {
      const r = results.get(tool.key)
      const e = r.e
      return [tool.name, e.good, e.reloads, e.broken, e.errors, e.reloadsOnBroken, e.building, `${e.rebuilt} of ${e.good + e.broken}`, r.closes ?? e.closesSoFar, [...e.oddGood, ...e.oddBroken].join('; ') || 'none']
    })
    if (eRows.length > 0) {
      lines.push(
        '### e. Messages on the channel (ours)',
        '',
        `One WebSocket client connected from start to stop. Good edits: the ${EDITS} of (a) and the ${BROKEN} fixes; broken edits: ${BROKEN} writes of a version route that does not parse, each followed (after ${GAP_MS} ms, and a check that the old version still answers) by a fix. Messages counted from each write to the end of its ${GAP_MS} ms pause. Expected: one \`reload\` per good edit, one \`error\` and no \`reload\` per broken edit, no close (counted over the whole session, (b)'s swaps included). One \`building\` per edit is expected too: a second one means the first build (a generation booting) was superseded and ran again.`,
        '',
        '| tool | good edits | reload msgs | broken edits | error msgs | reloads on broken | building msgs | edits with more than one building | channel closes | edits not as expected |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        ...eRows.map(row => `| ${row.join(' | ')} |`),
        ''
      )
    }
    const stops = TOOLS.map(tool => ({ tool, s: results.get(tool.key).stopped })).filter(({ s }) => s !== undefined && (!s.gone || s.left.length > 0))
    if (stops.length > 0) {
      lines.push(`Not stopped cleanly: ${stops.map(({ tool, s }) => `${tool.name}: ${s.gone ? '' : `not gone within ${STOP_TIMEOUT_MS} ms; `}${s.left.length} process(es) of its directory left (${s.left.map(p => p.cmdline.slice(0, 80)).join(', ')})`).join(' · ')}`, '')
    }
    return lines.join('\n')
  }

  const deadline = setTimeout(() => {
    cleanUp()
    console.error(`dev-reload: deadline (${DEADLINE_S} s) passed, run failed; the figures so far:`)
    console.error(report(false, `the deadline (${DEADLINE_S} s) passed`))
    process.exit(2)
  }, DEADLINE_S * 1000)

  try {
    for (const tool of TOOLS) {
      const result = results.get(tool.key)
      const app = generateApp(tool.key, tool.lang)
      log(`${tool.name}: starting`)
      const running = await start(tool, app)
      result.startMs = running.startMs
      log(`${tool.name}: serving on ${running.port} after ${ms(running.startMs)} ms`)
      let channel = null
      try {
        if (tool.ours) channel = await connectChannel(running)
        await editsServed(running, channel, result)
        if (tool.forward) result.c = await forwarding(running)
        await underLoad(running, channel, result)
        if (channel !== null) {
          await sleep(200)
          result.closes = channel.closes
        }
      } finally {
        channel?.close()
        result.stopped = await running.stop()
      }
      if (tool.forward) result.cCli = await forwardingCli()
    }
    if (ONLY === undefined || ONLY.includes('ours-js') || ONLY.includes('heap')) {
      results.set('heap', {})
      await heapDrift(results.get('heap'))
    }
  } catch (err) {
    const text = report(false, `the run failed: ${err.message.split('\n')[0]}`)
    cleanUp()
    console.error(`dev-reload: run failed\n${err.stack}`)
    console.error(text)
    process.exit(1)
  }
  cleanUp()
  const text = report(true)
  console.log(text)
  mkdirSync(path('results/'), { recursive: true })
  writeFileSync(path('results/dev-reload.md'), text)
  clearTimeout(deadline)
  process.exit(0)
}
