// Memory across connect/disconnect cycles of the live reload channel.
// Run: npm run build && node --expose-gc bench/connect-cycles.js [cycles=10000] [concurrency=50]
// One process holds the server and the clients (real ws clients over loopback); the figures
// therefore include both sides. Before is taken after a warm-up of `concurrency` cycles.
import { once } from 'node:events'
import Fastify from 'fastify'
import WebSocket from 'ws'
import liveReload from '../dist/index.js'

const cycles = Number(process.argv[2] ?? 10_000)
const concurrency = Number(process.argv[3] ?? 50)
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc')
  process.exit(1)
}

const app = Fastify()
await app.register(liveReload)
await app.listen({ port: 0, host: '127.0.0.1' })
const url = `ws://127.0.0.1:${app.server.address().port}/__livereload`

async function cycle () {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await once(ws, 'message') // hello: the hub has added it
  const closed = once(ws, 'close')
  ws.close()
  await closed
}

async function run (count) {
  let started = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (started < count) {
      started++
      await cycle()
    }
  }))
}

const mb = bytes => (bytes / 1024 / 1024).toFixed(1)
const snapshot = label => {
  const { rss, heapUsed, external } = process.memoryUsage()
  console.log(`${label.padEnd(14)} rss ${mb(rss).padStart(6)} MB  heapUsed ${mb(heapUsed).padStart(6)} MB  external ${mb(external).padStart(5)} MB`)
  return { rss, heapUsed }
}

await run(concurrency) // warm-up: JIT, ws and Fastify's lazy paths
globalThis.gc()
const before = snapshot('before')
const started = performance.now()
await run(cycles)
const seconds = (performance.now() - started) / 1000
snapshot('after')
// The server notices the last closes a moment after the clients do: wait for the hub to empty.
for (let i = 0; i < 200 && app.liveReload.clients > 0; i++) await new Promise(resolve => setTimeout(resolve, 10))
globalThis.gc()
await new Promise(resolve => setImmediate(resolve))
globalThis.gc()
const after = snapshot('after GC')
console.log(`${cycles} cycles (${concurrency} at a time) in ${seconds.toFixed(1)} s; clients left: ${app.liveReload.clients}; ` +
  `after GC vs before: rss ${mb(after.rss - before.rss)} MB, heapUsed ${mb(after.heapUsed - before.heapUsed)} MB`)
await app.close()
