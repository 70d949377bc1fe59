// Children, clients, clocks and tables shared by the scenarios.
import { fork } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import WebSocket from 'ws'

const require = createRequire(import.meta.url)
const SERVER = fileURLToPath(new URL('../server.js', import.meta.url))
/** Starting a tool may take this long (ms) before the bench gives up on it, loudly. */
export const START_TIMEOUT_MS = 60_000

/** Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export const now = () => Number(process.hrtime.bigint()) / 1e6
export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Ctrl-C to the process group of `pid`, as a user stops a dev server (Node ≥ 22 writes its compile
 * cache as a process exits, which a SIGKILL never lets it do); resolves once `closed` has, or
 * `graceMs` have passed. The caller kills what is left.
 */
export async function stopGroup (pid, closed, graceMs = 2_000) {
  try { process.kill(-pid, 'SIGINT') } catch {}
  await Promise.race([closed, sleep(graceMs)])
}

const children = new Set()
/** Kills every child still running; called at the end and on any failure. */
export function killAll () {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
}
process.on('exit', killAll)

/** Free loopback port, for the tools that want to be told one. */
export async function freePort () {
  const server = createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/**
 * Starts `tool` in its own process and resolves once it listens. A tool that fails or does not
 * start in time rejects with its name, so the run fails loudly instead of hanging.
 */
export async function startTool (tool, config = {}) {
  // five-server watches its working directory, as when run from the site's folder
  const cwd = tool === 'fiveserver' ? config.root : undefined
  const child = fork(SERVER, [tool, JSON.stringify(config)], { cwd, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
  children.add(child)
  let stderr = ''
  child.stderr.on('data', chunk => { stderr = (stderr + chunk).slice(-2000) })
  const events = new EventEmitter()
  child.on('message', message => events.emit(message.type, message))
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${tool} did not start within ${START_TIMEOUT_MS} ms\n${stderr}`)), START_TIMEOUT_MS)
    events.once('ready', message => { clearTimeout(timer); resolve(message) })
    events.once('fatal', message => { clearTimeout(timer); reject(new Error(`${tool} failed to start: ${message.message}`)) })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`${tool} exited (${code}) before it was ready\n${stderr}`)) })
  })
  return {
    ...ready,
    child,
    events,
    /** Sends a request and waits (bounded) for the reply of type `reply`. */
    async ask (type, reply, timeoutMs = 10_000) {
      const answer = waitEvent(events, reply, timeoutMs, `${tool}: no ${reply}`)
      child.send({ type })
      return await answer
    },
    async stop () {
      if (child.exitCode !== null) return children.delete(child)
      const exited = once(child, 'exit')
      child.send({ type: 'stop' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
      children.delete(child)
    }
  }
}

export function waitEvent (emitter, event, timeoutMs, message) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { emitter.off(event, on); reject(new Error(message ?? `no ${event} within ${timeoutMs} ms`)) }, timeoutMs)
    const on = value => { clearTimeout(timer); resolve(value) }
    emitter.once(event, on)
  })
}

/**
 * A client of `kind` speaking each tool's own protocol. Emits 'message' with the receipt time
 * for every reload-like message; resolves once the tool has greeted it.
 */
export async function connectClient (kind, port, timeoutMs = 10_000) {
  const client = new EventEmitter()
  client.count = 0
  const got = () => { client.count++; client.emit('message', now()) }
  if (kind === 'browsersync') {
    const { io } = require('socket.io-client')
    const socket = io(`http://127.0.0.1:${port}/browser-sync`, { path: '/browser-sync/socket.io', transports: ['websocket'], reconnection: false })
    socket.on('browser:reload', got)
    socket.on('file:reload', got)
    await waitEvent(socket, 'connect', timeoutMs, 'browser-sync client did not connect')
    client.close = () => socket.close()
    return client
  }
  const path = { ours: '/__livereload', livereload: '/livereload', bare: '/ws' }[kind] ?? '/'
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { origin: `http://127.0.0.1:${port}` } })
  client.close = () => ws.terminate()
  ws.on('error', () => {})
  await waitEvent(ws, 'open', timeoutMs, `${kind} client did not connect`)
  if (kind === 'livereload') ws.send(JSON.stringify({ command: 'hello', protocols: ['http://livereload.com/protocols/official-7'] }))
  ws.on('message', data => {
    const text = data.toString()
    if (kind === 'ours') {
      const type = JSON.parse(text).type
      if (type === 'reload' || type === 'css') got()
    } else if (kind === 'livereload') {
      if (JSON.parse(text).command === 'reload') got()
    } else if (text === 'reload' || text === 'refreshcss' || text.startsWith('{"type":"reload"')) {
      got()
    }
  })
  return client
}

/**
 * Another build of ours beside the current one, for a before and after in one run: none unless
 * BENCH_OURS_BEFORE names its dist/index.js.
 */
export function oursBefore () {
  const ours = process.env.BENCH_OURS_BEFORE
  return ours === undefined ? [] : [{ name: 'fastify-livereload, before', tool: 'ours', kind: 'ours', config: { ours } }]
}

/** The alternatives, each at its defaults and with its delays at the minimum. */
export function alternatives () {
  return [
    { name: 'livereload (defaults = minimum)', tool: 'livereload', kind: 'livereload' },
    { name: 'browser-sync', tool: 'browsersync', kind: 'browsersync' },
    { name: 'browser-sync (minimum)', tool: 'browsersync', kind: 'browsersync', minimum: true },
    { name: 'five-server', tool: 'fiveserver', kind: 'five' },
    { name: 'five-server (minimum)', tool: 'fiveserver', kind: 'five', minimum: true },
    { name: 'live-server', tool: 'liveserver', kind: 'live' },
    { name: 'live-server (minimum)', tool: 'liveserver', kind: 'live', minimum: true }
  ]
}

/** Starts an entry of the tool lists with its port chosen free (and its own `config`, if it has one). */
export async function startEntry (entry, config) {
  const port = await freePort()
  return await startTool(entry.tool, { ...config, ...entry.config, port, minimum: entry.minimum === true })
}

/** The `k`th of `list` in round `round`: each round starts one further on (rounds below 0, the warm-ups, too), so drift meets every tool alike. */
export function inTurn (list, round, k) {
  return list[(((round % list.length) + list.length) % list.length + k) % list.length]
}

export function median (values) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function percentile (values, p) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]
}

export const fmt = (value, digits = 1) => value === undefined || value === null || Number.isNaN(value) ? '–' : typeof value === 'number' ? value.toFixed(digits) : String(value)

/** A markdown table: printed as is, and collected for results/latest.md. */
export function table (title, note, headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i]).length)))
  const line = cells => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`
  return [`### ${title}`, '', ...(note ? [note, ''] : []), line(headers), `| ${widths.map(w => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line), ''].join('\n')
}
