// The `cluster` option: 4 processes on one port (node:cluster) and one Redis, 200 WebSocket
// clients spread over them, 20 source edits; then the leader SIGKILLed in the middle of a build;
// then Redis stopped for 10 s under request load. Beside it, in the same run, one process
// without `cluster` and the same 200 clients, for the build end → message latency, and the
// Redis hop alone (one client, reload() → message, with and without `cluster`).
// Plain script: `npm run build` first, then `node bench/cluster.js` (needs `redis-server`).
// Results go to stdout and bench/results/cluster.md.
//
// Clock: CLOCK_MONOTONIC (process.hrtime), one clock for every process of the machine. The
// builder (bench/cluster-worker.js) writes its end into a log; a client notes when its `reload`
// arrives. Latency of one message on one client: arrival − the end of the build it reports.
import cluster from 'node:cluster'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import WebSocket from 'ws'
import liveReload from '../dist/index.js'
import { fmt, freePort, median, now, percentile, sleep } from './lib/harness.js'

const CLIENTS = Number(process.env.CLUSTER_CLIENTS ?? 200)
const EDITS = Number(process.env.CLUSTER_EDITS ?? 20)
const WORKERS = 4
/** Each build takes this long (ms): long enough to kill the leader in the middle of one. */
const BUILD_MS = 300
const OUTAGE_MS = 10_000
/** reload() → message samples, per setup, for the hop alone. */
const HOP_SAMPLES = 200
/** Any one wait may take this long (ms) before the run fails, loudly. */
const WAIT_MS = 30_000
const here = path => fileURLToPath(new URL(path, import.meta.url))

const dir = mkdtempSync(join(tmpdir(), 'flr-cluster-'))
mkdirSync(join(dir, 'src'))
mkdirSync(join(dir, 'dist'))
writeFileSync(join(dir, 'src', 'page.txt'), 'edit 0')
const builds = () => readFileSync(join(dir, 'builds.jsonl'), 'utf8').trim().split('\n').map(line => JSON.parse(line))

async function until (condition, what, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(10)
  }
}

/** A redis-server on a free loopback port, nothing persisted; start() again on the same port. */
function redisServer (port) {
  let child = null
  return {
    url: `redis://127.0.0.1:${port}`,
    async start () {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      await new Promise((resolve, reject) => {
        child.once('error', reject)
        child.stdout.on('data', chunk => { output += chunk; if (output.includes('Ready to accept connections')) resolve() })
      })
      child.stdout.resume()
    },
    async stop () {
      if (child === null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
      child = null
    }
  }
}

/** `count` processes of bench/cluster-worker.js on one port; their warnings collected. */
async function startWorkers (count, env) {
  cluster.setupPrimary({ exec: here('./cluster-worker.js'), silent: true })
  const workers = []
  const exits = []
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork(env)
    const state = { worker, pid: worker.process.pid, warnings: [] }
    let buffered = ''
    worker.process.stdout.on('data', chunk => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop()
      for (const line of lines) if (line.startsWith('{') && JSON.parse(line).level === 40) state.warnings.push(JSON.parse(line).msg)
    })
    worker.process.stderr.pipe(process.stderr)
    worker.on('exit', (code, signal) => exits.push({ pid: state.pid, code, signal }))
    workers.push(state)
  }
  await Promise.all(workers.map(({ worker }) => once(worker, 'message')))
  return { workers, exits, stop: () => Promise.all(workers.filter(({ worker }) => !worker.isDead()).map(async ({ worker }) => { const exited = once(worker, 'exit'); worker.kill('SIGKILL'); await exited })) }
}

/** `count` clients on `port`; each knows its process, and when each of its messages arrived. */
async function connectClients (port, count) {
  return await Promise.all(Array.from({ length: count }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__livereload`)
    const client = { ws, pid: 0, messages: [], isOpen: true }
    ws.on('upgrade', response => { client.pid = Number(response.headers['x-worker']) })
    ws.on('message', data => {
      const message = JSON.parse(String(data))
      if (message.type === 'hello') return resolve(client)
      client.messages.push({ type: message.type, at: now() })
    })
    ws.on('close', () => { client.isOpen = false })
    ws.on('error', reject)
  })))
}

const reloads = client => client.messages.filter(message => message.type === 'reload')
/** The status of whichever process answers; null when the one reached was just killed (a pooled connection to it). */
const status = async port => await fetch(`http://127.0.0.1:${port}/__livereload/status`).then(async res => await res.json(), () => null)
const leaderPid = async port => Number((await status(port))?.cluster?.leader?.split(':').at(-2) ?? 0)

/** Edits the source `EDITS` times, each once the previous edit's reload reached every open client; latency per client and edit. */
async function edits (clients, from) {
  const samples = []
  for (let i = from; i < from + EDITS; i++) {
    const seen = clients.map(client => reloads(client).length)
    writeFileSync(join(dir, 'src', 'page.txt'), `edit ${i}`)
    await until(() => clients.every((client, c) => !client.isOpen || reloads(client).length > seen[c]), `edit ${i}: a reload on every client`)
    await sleep(150) // a duplicate would arrive now
    const end = builds().filter(line => line.event === 'end').at(-1).at
    for (const [c, client] of clients.entries()) samples.push({ pid: client.pid, ms: reloads(client)[seen[c]].at - end })
  }
  return samples
}

function isSequential (lines) {
  return lines.every((line, i) => line.event === (i % 2 === 0 ? 'start' : 'end') && (i % 2 === 0 || lines[i - 1].pid === line.pid))
}

const redis = redisServer(await freePort())
await redis.start()
const port = await freePort()
const started = new Date()
const load = [loadavg()[0]]
const report = {}
let running = null
try {
  // 1. One process without `cluster`, the same 200 clients: the baseline latency.
  running = await startWorkers(1, { DIR: dir, REDIS: redis.url, PORT: String(port), BUILD_MS: String(BUILD_MS), CLUSTER: '0' })
  await until(() => { try { return builds().some(line => line.event === 'end') } catch { return false } }, 'the baseline start-up build')
  let clients = await connectClients(port, CLIENTS)
  report.single = await edits(clients, 1)
  for (const client of clients) client.ws.terminate()
  await running.stop()
  rmSync(join(dir, 'builds.jsonl'))

  // 1b. One process with `cluster` (it leads, alone): the same, through Redis and back.
  running = await startWorkers(1, { DIR: dir, REDIS: redis.url, PORT: String(port), BUILD_MS: String(BUILD_MS), CLUSTER: '1', KEY: 'bench-alone' })
  await until(() => { try { return builds().some(line => line.event === 'end') } catch { return false } }, 'the lone leader\'s start-up build')
  clients = await connectClients(port, CLIENTS)
  report.alone = await edits(clients, 1 + EDITS)
  for (const client of clients) client.ws.terminate()
  await running.stop()
  rmSync(join(dir, 'builds.jsonl'))

  // 2. Four processes with `cluster`, 200 clients spread over them by node:cluster, 20 edits.
  running = await startWorkers(WORKERS, { DIR: dir, REDIS: redis.url, PORT: String(port), BUILD_MS: String(BUILD_MS), CLUSTER: '1' })
  await until(async () => (await status(port))?.cluster?.processes === WORKERS && builds().some(line => line.event === 'end'), 'the cluster and its start-up build')
  const leader = await leaderPid(port)
  report.leaderPid = leader
  clients = await connectClients(port, CLIENTS)
  const before = builds().length
  report.cluster = await edits(clients, 1 + 2 * EDITS)
  load.push(loadavg()[0])
  const lines = builds()
  report.counts = {
    builds: lines.slice(before).filter(line => line.event === 'start').length,
    sequential: isSequential(lines),
    leaderOnly: lines.every(line => line.pid === leader),
    perProcess: [...clients.reduce((counts, client) => counts.set(client.pid, (counts.get(client.pid) ?? 0) + 1), new Map()).values()],
    reloadsPerClient: [...new Set(clients.map(client => reloads(client).length))],
    otherMessages: clients.reduce((sum, client) => sum + client.messages.filter(message => !['building', 'reload'].includes(message.type)).length, 0)
  }

  // 3. The leader SIGKILLed in the middle of a build.
  const edited = `edit during the kill ${Date.now()}`
  const survivors = clients.filter(client => client.pid !== leader)
  const seen = survivors.map(client => reloads(client).length)
  const building = survivors[0].messages.length
  writeFileSync(join(dir, 'src', 'page.txt'), edited)
  await until(() => survivors[0].messages.slice(building).some(message => message.type === 'building'), 'the build started')
  const killedAt = now()
  process.kill(leader, 'SIGKILL')
  await until(async () => { const pid = await leaderPid(port); return pid !== 0 && pid !== leader }, 'a new leader')
  const takeover = now() - killedAt
  await until(() => survivors.every((client, c) => reloads(client).length > seen[c]), 'a reload on every surviving client')
  const reloaded = now() - killedAt
  await sleep(300)
  const afterKill = builds()
  report.kill = {
    takeover,
    reloaded,
    built: readFileSync(join(dir, 'dist', 'index.html'), 'utf8').includes(edited),
    oneReloadEach: survivors.every((client, c) => reloads(client).length === seen[c] + 1),
    survivors: survivors.length,
    overlap: afterKill.filter(line => line.pid !== leader && line.event === 'start').some(line => line.at < killedAt),
    killedBuildEnded: afterKill.some(line => line.pid === leader && line.event === 'end' && line.at > killedAt)
  }

  // 4. Redis stopped for 10 s under request load, then started again.
  let requests = 0
  let failed = 0
  const loading = { isOn: true }
  const loaders = Array.from({ length: 8 }, async (_, i) => {
    while (loading.isOn) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${i % 2 === 0 ? '/' : '/__livereload/status'}`)
        await res.arrayBuffer()
        if (res.status !== 200) failed++
      } catch {
        failed++
      }
      requests++
    }
  })
  await sleep(1000)
  await redis.stop()
  const stoppedAt = now()
  await sleep(OUTAGE_MS)
  await redis.start()
  const restartedAt = now()
  await until(async () => (await leaderPid(port)) !== 0, 'a leader after the outage')
  const rejoined = now() - restartedAt
  const open = clients.filter(client => client.isOpen)
  const counts = open.map(client => reloads(client).length)
  writeFileSync(join(dir, 'src', 'page.txt'), 'after the outage')
  await until(() => open.every((client, c) => reloads(client).length > counts[c]), 'live reload after the outage')
  loading.isOn = false
  await Promise.all(loaders)
  load.push(loadavg()[0])
  report.outage = {
    requests,
    failed,
    outage: restartedAt - stoppedAt,
    rejoined,
    exits: running.exits.filter(exit => exit.pid !== leader).length,
    clients: open.length,
    warnings: running.workers.filter(({ pid }) => pid !== leader).map(({ warnings }) => warnings.filter(msg => /is unreachable/.test(msg)).length)
  }

  // 5. The hop alone: one client, reload() → its message, in this process, with and without
  // `cluster` (leading alone), in turns so that drift in the machine's load meets both alike.
  const apps = await Promise.all([false, true].map(async isCluster => {
    const app = Fastify()
    await app.register(liveReload, { root: false, ...(isCluster ? { cluster: { redis: redis.url, key: 'bench-hop' } } : {}) })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const [client] = await connectClients(app.server.address().port, 1)
    return { app, client, samples: [] }
  }))
  await until(() => apps[1].app.liveReload.stats().cluster.role === 'leader', 'the lone leader')
  for (let i = 0; i < HOP_SAMPLES; i++) {
    for (const { app, client, samples } of apps) {
      const count = client.messages.length
      const sent = now()
      app.liveReload.reload()
      await until(() => client.messages.length > count, 'a reload')
      samples.push(client.messages[count].at - sent)
      await sleep(5)
    }
  }
  report.hop = apps.map(({ samples }) => samples)
  for (const { app, client } of apps) {
    client.ws.terminate()
    await app.close()
  }
} finally {
  await running?.stop()
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
}

const ms = samples => samples.map(sample => sample.ms)
const { counts, kill, outage } = report
const row = (name, samples) => `| ${name} | ${samples.length} | ${fmt(median(ms(samples)), 2)} | ${fmt(percentile(ms(samples), 95), 2)} |`
const lines = [
  '# Cluster: 4 processes, one Redis, one build',
  '',
  `${started.toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, redis-server on loopback, ${CLIENTS} WebSocket clients, ${EDITS} edits, builds of ${BUILD_MS} ms. Load average (1 min) at the start, after the edits and at the end: ${load.map(value => value.toFixed(2)).join(', ')}.`,
  '',
  '## Build end → `reload` on a client (ms, one sample per client and edit)',
  '',
  '| setup | samples | p50 | p95 |',
  '| --- | --- | --- | --- |',
  row('one process, no `cluster`, 200 clients', report.single),
  row('one process with `cluster` (leading alone), 200 clients', report.alone),
  row('4 processes with `cluster`: every client', report.cluster),
  row('… clients of the leader\'s own process', report.cluster.filter(sample => sample.pid === report.leaderPid)),
  '',
  `p50 difference, cluster (every client) − one process: ${fmt(median(ms(report.cluster)) - median(ms(report.single)), 2)} ms; one process through Redis − without: ${fmt(median(ms(report.alone)) - median(ms(report.single)), 2)} ms.`,
  '',
  '## The hop alone: `reload()` → its message on one client of the same process (ms)',
  '',
  '| setup | samples | p50 | p95 |',
  '| --- | --- | --- | --- |',
  `| without \`cluster\` | ${report.hop[0].length} | ${fmt(median(report.hop[0]), 2)} | ${fmt(percentile(report.hop[0], 95), 2)} |`,
  `| with \`cluster\` (through Redis and back) | ${report.hop[1].length} | ${fmt(median(report.hop[1]), 2)} | ${fmt(percentile(report.hop[1], 95), 2)} |`,
  '',
  '## 20 edits on 4 processes',
  '',
  `- builds: ${counts.builds} (besides the start-up build); none overlapping: ${counts.sequential}; all by the leader: ${counts.leaderOnly}`,
  `- clients per process: ${counts.perProcess.join(', ')}`,
  `- reloads per client: ${counts.reloadsPerClient.join(', ')} (every client exactly one per edit when this is one number, ${EDITS}); other messages than building and reload: ${counts.otherMessages}`,
  '',
  '## Leader SIGKILLed in the middle of a build',
  '',
  `- new leader ${fmt(kill.takeover, 0)} ms after the kill; the edit built: ${kill.built}; its reload on all ${kill.survivors} surviving clients ${fmt(kill.reloaded, 0)} ms after the kill, exactly one each: ${kill.oneReloadEach}`,
  `- a build started by another process before the kill: ${kill.overlap}; the killed build ended: ${kill.killedBuildEnded}`,
  '',
  '## Redis stopped for 10 s under request load',
  '',
  `- ${outage.requests} HTTP requests (8 loops, \`/\` and \`/__livereload/status\`) over the outage and around it; failed: ${outage.failed}`,
  `- Redis down ${fmt(outage.outage, 0)} ms; a leader again ${fmt(outage.rejoined, 0)} ms after it was back; then an edit reloaded all ${outage.clients} open clients`,
  `- processes that exited: ${outage.exits}; warnings per process: ${outage.warnings.join(', ')}`
]
const text = lines.join('\n') + '\n'
process.stdout.write(text)
mkdirSync(here('./results'), { recursive: true })
writeFileSync(here('./results/cluster.md'), text)
process.exit(0)
