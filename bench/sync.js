// Synchronized browsing: how long an event in one tab takes to be applied in another, for a
// click and for a scroll, ours (`sync: true`) beside browser-sync's ghostMode, in one run.
// Plain script: `npm run build` first, then `node bench/sync.js`. Results go to stdout and
// bench/results/sync.md.
//
// SYNC_N samples per kind and tool (default 40), taken in turns: a click sample of each tool,
// then a scroll sample of each, and so on, so that drift in the machine's load meets both alike.
// Each tool serves the same page (a counter button, 5,000 px tall) on a loopback port, to two
// tabs of one headless Debian Chromium (1200×800 and a phone's 390×700).
//
// Clock: both tabs read performance.timeOrigin + performance.now(), one clock for the whole
// browser. A click: from the click event in the first tab (a listener on the window, capturing,
// so before any tool's) to the button's click listener in the second. A scroll: from the scroll
// event in the first tab (a programmatic scrollTo, whose scroll event the browser fires as for a
// user's) to the scroll event in the second that brings it to the same fraction of its page.
// Between samples the script waits PAUSE_MS, longer than either tool's scroll throttle.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'
import { chromium } from 'playwright-core'
import liveReload from '../dist/index.js'
import { fmt, freePort, median, percentile, sleep } from './lib/harness.js'

const N = Number(process.env.SYNC_N ?? 40)
const PAUSE_MS = 250
/** One sample may take this long (ms) before the run fails. */
const SAMPLE_TIMEOUT_MS = 10_000
const here = path => fileURLToPath(new URL(path, import.meta.url))
const benchRequire = createRequire(here('./package.json'))

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><meta name="viewport" content="width=device-width"></head>
<body><nav style="position: fixed; top: 0; right: 0"><button id="count">0</button></nav><div style="height: 5000px"></div>
<script>
  window.times = []
  document.querySelector('#count').addEventListener('click', event => {
    window.times.push(performance.timeOrigin + performance.now())
    event.target.textContent = Number(event.target.textContent) + 1
  })
  addEventListener('click', () => { window.times.push(performance.timeOrigin + performance.now()) }, true)
  document.addEventListener('scroll', () => { window.times.push(performance.timeOrigin + performance.now()) }, true)
</script></body></html>`

const dir = mkdtempSync(join(tmpdir(), 'flr-sync-'))
writeFileSync(join(dir, 'index.html'), PAGE)

async function startOurs () {
  const app = Fastify()
  await app.register(liveReload, { root: dir, sync: true })
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { url: `http://127.0.0.1:${app.server.address().port}/`, stop: () => app.close() }
}

async function startBrowserSync () {
  const browserSync = benchRequire('browser-sync').create()
  const port = await freePort()
  await new Promise((resolve, reject) => browserSync.init({
    server: dir,
    port,
    listen: '127.0.0.1',
    open: false,
    ui: false,
    notify: false,
    logLevel: 'silent',
    online: false,
    ghostMode: { clicks: true, scroll: true, forms: true, location: true }
  }, err => err ? reject(err) : resolve()))
  return { url: `http://127.0.0.1:${port}/`, stop: () => browserSync.cleanup() }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic']
})
const chromiumVersion = browser.version()

/** Two tabs on `url`, each ready once its tool's client is connected (`ready` tells). */
async function tabs (url, ready) {
  const context = await browser.newContext()
  const pages = []
  for (const viewport of [{ width: 1200, height: 800 }, { width: 390, height: 700 }]) {
    const page = await context.newPage()
    await page.setViewportSize(viewport)
    await page.goto(url)
    await page.waitForFunction(ready, null, { timeout: SAMPLE_TIMEOUT_MS })
    pages.push(page)
  }
  return { pages, close: () => context.close() }
}

const times = page => page.evaluate(() => window.times.splice(0))

async function clickSample ([a, b]) {
  await times(a)
  await times(b)
  const before = Number(await b.textContent('#count'))
  await a.click('#count')
  await b.waitForFunction(n => Number(document.querySelector('#count').textContent) > n, before, { timeout: SAMPLE_TIMEOUT_MS })
  const [sent] = await times(a)
  const applied = (await times(b)).at(-1)
  return applied - sent
}

/** Scrolls the first tab between a quarter and a half of its page, each sample the other way. */
async function scrollSample ([a, b]) {
  await times(b)
  const [sent, fraction] = await a.evaluate(() => new Promise(resolve => {
    const range = document.documentElement.scrollHeight - window.innerHeight
    const fraction = window.scrollY / range < 0.4 ? 0.5 : 0.25
    document.addEventListener('scroll', () => resolve([performance.timeOrigin + performance.now(), fraction]), { capture: true, once: true })
    window.scrollTo(0, fraction * range)
  }))
  await b.waitForFunction(f => Math.abs(window.scrollY / (document.documentElement.scrollHeight - window.innerHeight) - f) < 0.01, fraction, { timeout: SAMPLE_TIMEOUT_MS, polling: 'raf' })
  const applied = (await times(b)).at(-1)
  return applied - sent
}

const tools = {
  'fastify-livereload (sync: true)': { start: startOurs, ready: () => document.querySelector('livereload-sync') !== null },
  'browser-sync (ghostMode)': { start: startBrowserSync, ready: () => window.___browserSync___?.socket?.connected === true }
}
const results = {}
const running = []
try {
  for (const [name, tool] of Object.entries(tools)) {
    const server = await tool.start()
    running.push(server)
    results[name] = { ...(await tabs(server.url, tool.ready)), click: [], scroll: [] }
  }
  for (let i = 0; i < N; i++) {
    for (const kind of ['click', 'scroll']) {
      for (const [name, result] of Object.entries(results)) {
        result[kind].push(await (kind === 'click' ? clickSample : scrollSample)(result.pages).catch(err => { throw new Error(`${name}, ${kind} sample ${i + 1}: ${err.message}`) }))
        await sleep(PAUSE_MS)
      }
    }
  }
} finally {
  for (const result of Object.values(results)) await result.close().catch(() => {}) // after a failure, the browser may be gone
  await browser.close()
  for (const server of running) await server.stop()
  rmSync(dir, { recursive: true, force: true })
}

const gz = path => gzipSync(readFileSync(here(path)), { level: 9 }).length
const lines = [
  '# Synchronized browsing: event in one tab → applied in the other',
  '',
  `${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, Chromium ${chromiumVersion}, ${N} samples per kind and tool, in turns.`,
  '',
  '| tool | click p50 (ms) | click p95 | scroll p50 | scroll p95 |',
  '| --- | --- | --- | --- | --- |',
  ...Object.entries(results).map(([name, { click, scroll }]) =>
    `| ${name} | ${fmt(median(click))} | ${fmt(percentile(click, 95))} | ${fmt(median(scroll))} | ${fmt(percentile(scroll, 95))} |`),
  '',
  `Client weight (gzip -9): client.js ${gz('../dist/client.js')} bytes; with sync (client-sync.js, served instead where sync is on) ${gz('../dist/client-sync.js')} bytes; browser-sync's client ${gz('./node_modules/browser-sync-client/dist/index.js')} bytes.`
]
const report = lines.join('\n') + '\n'
process.stdout.write(report)
mkdirSync(here('./results'), { recursive: true })
writeFileSync(here('./results/sync.md'), report)
