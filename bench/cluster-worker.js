// One process of bench/cluster.js: a Fastify app with the plugin, with `cluster` (CLUSTER=1) or
// without. Its builder waits BUILD_MS (honouring its abort signal), writes dist/index.html from
// src/, and appends its start and end (CLOCK_MONOTONIC ms, shared by every process of the
// machine) to BUILDS_LOG. Each WebSocket upgrade answers with X-Worker: <pid>, so a client knows
// which process it reached on the shared port.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import liveReload from '../dist/index.js'

const { DIR, REDIS, PORT, BUILD_MS = '0', CLUSTER = '1', KEY } = process.env
const now = () => Number(process.hrtime.bigint()) / 1e6
const log = line => appendFileSync(join(DIR, 'builds.jsonl'), JSON.stringify({ pid: process.pid, ...line }) + '\n')

const app = Fastify({ logger: { level: 'warn' } })
await app.register(websocket) // ours, so that its server can name this process in the upgrade
app.websocketServer.on('headers', headers => { headers.push(`X-Worker: ${process.pid}`) })
await app.register(liveReload, {
  root: join(DIR, 'dist'),
  watch: [join(DIR, 'src')],
  debounce: 20,
  ...(CLUSTER === '1' ? { cluster: { redis: REDIS, ...(KEY === undefined ? {} : { key: KEY }) } } : {}),
  async builder ({ signal }) {
    log({ event: 'start', at: now() })
    try {
      await sleep(Number(BUILD_MS), undefined, { signal })
      const page = readFileSync(join(DIR, 'src', 'page.txt'), 'utf8')
      writeFileSync(join(DIR, 'dist', 'index.html'), `<!doctype html><html><head></head><body>${page}</body></html>`)
      return { outputs: [join(DIR, 'dist', 'index.html')], reload: 'page' }
    } finally {
      log({ event: 'end', at: now(), aborted: signal.aborted })
    }
  }
})
await app.listen({ port: Number(PORT), host: '127.0.0.1' })
process.send?.({ listening: app.server.address().port })
