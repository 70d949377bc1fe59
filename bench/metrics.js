// What the `metrics` option costs a broadcast: two apps in this process, one without metrics and
// one with them (a prom-client Registry), each with METRICS_CLIENTS WebSocket clients (default
// 100) held by a second process, sent METRICS_ROUNDS messages each (default 300), in turns (one
// to each app, each first every other round), so that drift in the machine's load meets both alike.
// Plain script: `npm run build` first, then `node bench/metrics.js`. Results go to stdout and
// bench/results/metrics.md.
//
// Per message: "send()" is the time of the `fastify.liveReload.send()` call, where all of the
// metrics' work happens (serialising, framing, writing to every socket, and with metrics one
// counter increment); "to last client" runs from just before that call to the last client's
// receipt, on CLOCK_MONOTONIC, which both processes read. Then the recorder alone, in a loop.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import WebSocket from 'ws'
import liveReload from '../dist/index.js'
import { createMetrics } from '../dist/metrics.js'
import { fmt, median, now, percentile, sleep } from './lib/harness.js'

const CLIENTS = Number(process.env.METRICS_CLIENTS ?? 100)
const ROUNDS = Number(process.env.METRICS_ROUNDS ?? 300)
const PAUSE_MS = 10
const RECORDER_CALLS = 200_000
/** One message may take this long (ms) to reach every client before the run fails. */
const ROUND_TIMEOUT_MS = 10_000

if (process.argv[2] === 'clients') await holdClients(process.argv.slice(3).map(Number))
else await main()

/** The second process: CLIENTS sockets to each port; reports, per message, when the last got it. */
async function holdClients (ports) {
  const seen = new Map()
  for (const port of ports) {
    const sockets = Array.from({ length: CLIENTS }, () => new WebSocket(`ws://127.0.0.1:${port}/__livereload`))
    await Promise.all(sockets.map(socket => once(socket, 'message'))) // hello
    for (const socket of sockets) {
      socket.on('message', data => {
        const at = now()
        const id = JSON.parse(data.toString()).paths[0]
        const count = (seen.get(id) ?? 0) + 1
        seen.set(id, count)
        if (count === CLIENTS) {
          seen.delete(id)
          process.send({ id, last: at })
        }
      })
    }
  }
  process.send({ ready: true })
  process.on('disconnect', () => process.exit(0))
}

async function main () {
  const apps = {}
  for (const [name, metrics] of [['metrics off', false], ['metrics on', new Registry()]]) {
    const app = Fastify()
    await app.register(liveReload, { root: false, metrics, maxClients: CLIENTS })
    await app.listen({ host: '127.0.0.1', port: 0 })
    apps[name] = { app, registry: metrics, send: [], last: [] }
  }
  const holder = fork(fileURLToPath(import.meta.url), ['clients', ...Object.values(apps).map(({ app }) => app.server.address().port)])
  const receipts = new Map()
  holder.on('message', message => { if (message.id !== undefined) receipts.get(message.id)?.(message.last) })
  try {
    await waitFor(holder, message => message.ready === true, 60_000, 'the clients did not connect')
    for (const { app } of Object.values(apps)) if (app.liveReload.clients !== CLIENTS) throw new Error(`${app.liveReload.clients} clients, not ${CLIENTS}`)
    const load = loadavg()[0]
    for (let round = 0; round < ROUNDS + 10; round++) { // the first 10 of each warm up, uncounted
      // Each goes first every other round: the second of a pair found the caches warm.
      const turn = round % 2 === 0 ? Object.entries(apps) : Object.entries(apps).reverse()
      for (const [name, entry] of turn) {
        const id = `/${name}/${round}`
        const received = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name}: message ${round} did not reach every client`)), ROUND_TIMEOUT_MS)
          receipts.set(id, last => { clearTimeout(timer); receipts.delete(id); resolve(last) })
        })
        const started = now()
        entry.app.liveReload.send({ type: 'reload', paths: [id] })
        const sent = now()
        const last = await received
        if (round >= 10) {
          entry.send.push(sent - started)
          entry.last.push(last - started)
        }
        await sleep(PAUSE_MS)
      }
    }
    const counted = await apps['metrics on'].registry.getSingleMetricAsString('fastify_livereload_messages_total')
    const recorder = await recorderCost()
    report(apps, load, counted, recorder)
  } finally {
    holder.kill()
    for (const { app } of Object.values(apps)) await app.close()
  }
}

/** The recorder's own cost per message: `sent()` alone, RECORDER_CALLS times (µs per call). */
async function recorderCost () {
  const metrics = await createMetrics(new Registry(), '/__livereload')
  for (let i = 0; i < 10_000; i++) metrics.sent('reload') // warm up
  const started = now()
  for (let i = 0; i < RECORDER_CALLS; i++) metrics.sent('reload')
  const us = (now() - started) * 1000 / RECORDER_CALLS
  metrics.close()
  return us
}

async function waitFor (child, match, timeoutMs, what) {
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(what)), timeoutMs)
    child.on('message', function listener (message) {
      if (!match(message)) return
      clearTimeout(timer)
      child.off('message', listener)
      resolve(message)
    })
    child.once('exit', code => reject(new Error(`the clients' process exited (${code})`)))
  })
}

function report (apps, load, counted, recorderUs) {
  const off = apps['metrics off']
  const on = apps['metrics on']
  const ratio = (a, b) => fmt(a / b, 2)
  const row = (name, { send, last }) => `| ${name} | ${fmt(median(send), 3)} | ${fmt(percentile(send, 95), 3)} | ${fmt(median(last), 2)} | ${fmt(percentile(last, 95), 2)} |`
  const lines = [
    '# The metrics option: a broadcast with and without it',
    '',
    `${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${load.toFixed(2)} at the start; ${CLIENTS} WebSocket clients per app in a second process, ${ROUNDS} messages per app in turns (each first every other round), ${PAUSE_MS} ms apart.`,
    '',
    '| app | send() p50 (ms) | send() p95 | to last client p50 (ms) | to last client p95 |',
    '| --- | --- | --- | --- | --- |',
    row('metrics off', off),
    row('metrics on', on),
    '',
    `- on / off: send() ${ratio(median(on.send), median(off.send))} at p50, ${ratio(percentile(on.send, 95), percentile(off.send, 95))} at p95; to last client ${ratio(median(on.last), median(off.last))} at p50, ${ratio(percentile(on.last, 95), percentile(off.last, 95))} at p95.`,
    `- The recorder alone (one labelled counter increment per message): ${fmt(recorderUs, 2)} µs per message, over ${RECORDER_CALLS.toLocaleString('en')} calls.`,
    `- Counted by the app with metrics: \`${counted.split('\n').find(line => line.includes('type="reload"'))}\` (warm-up included).`
  ]
  const text = lines.join('\n') + '\n'
  process.stdout.write(text)
  mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true })
  writeFileSync(fileURLToPath(new URL('./results/metrics.md', import.meta.url)), text)
}
