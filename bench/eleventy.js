// An Eleventy site, saved and watched in a browser: `fastify-livereload <site>/_site --run
// "eleventy --watch"` beside Eleventy's own `eleventy --serve` (its dev server, which patches the
// page with morphdom), in one run, turn about.
// Plain script: `npm run build` and `npm --prefix bench install` first (Eleventy is the bench's
// dependency), then `node bench/eleventy.js`. Results go to stdout and bench/results/eleventy.md.
//
// ELEVENTY_N samples per tool (default 15), ELEVENTY_POSTS posts in the site (default 40: Eleventy
// rebuilds every page on each save, so the site's size is the generator's share of the time),
// ELEVENTY_DEADLINE_S (default 600) bounds the run.
//
// The site: examples/eleventy/site's layout and pages, with ELEVENTY_POSTS posts, copied once per
// tool into a temporary directory; both tools run the same Eleventy (bench/node_modules). One
// Chromium tab per tool shows a post. A sample: the post's Markdown gets a new marker
// (`MARK-<n>`), and the time runs from just before the write (Date.now() here) to the moment the
// tab's document holds the marker (a MutationObserver in the page, performance.timeOrigin +
// performance.now(), so the same clock): after a reload, as the new document is parsed; after a
// patch, as it is applied (both tools patch a post's edit: ours since its `patch` option, on by
// default; the page loads column counts the reloads during the samples, 0 when every save was
// patched). Beside it, save → the tab told: when the WebSocket frame that made it patch or
// reload (ours: a `reload` message; Eleventy's: its own) reached the tab, as Playwright reports
// it here. Samples are PAUSE_MS apart, each tool's after the other's.
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { fmt, freePort, median, percentile, sleep } from './lib/harness.js'

const env = (name, fallback) => Number(process.env[name] ?? fallback)
const N = env('ELEVENTY_N', 15)
const POSTS = env('ELEVENTY_POSTS', 40)
const DEADLINE_S = env('ELEVENTY_DEADLINE_S', 600)
/** A sample whose marker has not shown within this long fails the run (ms). */
const SAMPLE_TIMEOUT_MS = 20_000
/** Between samples: Eleventy is done writing, the page loaded, the machine quiet again (ms). */
const PAUSE_MS = 800

const here = path => fileURLToPath(new URL(path, import.meta.url))
const ELEVENTY = here('node_modules/@11ty/eleventy/cmd.cjs')
const eleventyVersion = JSON.parse(readFileSync(here('node_modules/@11ty/eleventy/package.json'), 'utf8')).version
const deadline = Date.now() + DEADLINE_S * 1000
const root = realpathSync(mkdtempSync(join(tmpdir(), 'eleventy-bench-')))

/** The example site with POSTS posts, in a directory of its own; its Eleventy is the bench's. */
function site (name) {
  const dir = join(root, name)
  cpSync(here('../examples/eleventy/site'), dir, { recursive: true, filter: path => !/node_modules|_site/.test(path) })
  symlinkSync(here('node_modules'), join(dir, 'node_modules'))
  mkdirSync(join(dir, 'content/blog'), { recursive: true })
  for (let i = 1; i <= POSTS; i++) {
    const body = Array.from({ length: 20 }, (_, p) => `Paragraph ${p} of post ${i}: ${'words '.repeat(30)}`).join('\n\n')
    writeFileSync(join(dir, `content/blog/post-${i}.md`), post(i, `MARK-0\n\n${body}`))
  }
  return dir
}

const post = (i, body) => `---\nlayout: layout.njk\ntitle: Post ${i}\ntags: post\n---\n${body}\n`

/** Starts `args` in `dir` as a process group of its own; resolves once `ready` matches a line of its output. */
async function start (args, dir, ready) {
  const child = spawn(process.execPath, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  let output = ''
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} not ready: ${output}`)), 60_000)
    const onData = chunk => {
      output += chunk
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', code => reject(new Error(`${args.join(' ')} exited (${code}): ${output}`)))
  })
  return { stop: () => { try { process.kill(-child.pid, 'SIGTERM') } catch {} } }
}

const tools = {
  'fastify-livereload --run "eleventy --watch"': async dir => {
    const port = await freePort()
    const server = await start([here('../dist/cli.js'), '_site', '--run', `"${process.execPath}" "${ELEVENTY}" --watch`, '--port', String(port), '--strict-port', '--no-open'], dir, /\[11ty\] Watching/)
    return { ...server, url: `http://127.0.0.1:${port}/blog/post-1/` }
  },
  'eleventy --serve': async dir => {
    const port = await freePort()
    const server = await start([ELEVENTY, '--serve', '--port', String(port)], dir, /Server at/)
    return { ...server, url: `http://localhost:${port}/blog/post-1/` }
  }
}

/** In the page: when the document first held each marker, by the page's clock (epoch ms). */
/* global MutationObserver */
function watchMarkers () {
  const check = () => {
    const found = /MARK-(\d+)/.exec(document.body?.innerText ?? '')
    if (found !== null && window.__marker !== found[1]) {
      window.__marker = found[1]
      window.__shownAt = performance.timeOrigin + performance.now()
    }
  }
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true })
}

/** When the tab showed marker `n` (epoch ms), asked until it has, across its reloads. */
async function shownAt (page, n) {
  const until = Date.now() + SAMPLE_TIMEOUT_MS
  while (Date.now() < until) {
    const at = await page.evaluate(n => window.__marker === String(n) ? window.__shownAt : null, n).catch(() => null) // navigating
    if (at !== null) return at
    await sleep(5)
  }
  throw new Error(`MARK-${n} not shown within ${SAMPLE_TIMEOUT_MS} ms`)
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run']
})
const results = {}
const running = []
try {
  for (const [name, startTool] of Object.entries(tools)) {
    const dir = site(name.replace(/\W+/g, '-'))
    const server = await startTool(dir)
    running.push(server)
    const page = await (await browser.newContext()).newPage()
    const frames = []
    page.on('websocket', ws => ws.on('framereceived', frame => frames.push({ at: Date.now(), text: String(frame.payload) })))
    await page.addInitScript(watchMarkers)
    const connected = page.waitForEvent('websocket', { timeout: SAMPLE_TIMEOUT_MS })
    await page.goto(server.url)
    await connected
    await shownAt(page, 0)
    results[name] = { dir, page, frames, samples: [], told: [], loads: 0 }
    page.on('load', () => { results[name].loads++ })
  }
  await sleep(2000) // both generators' own watchers ready (Eleventy prints nothing when they are)
  for (let i = 1; i <= N && Date.now() < deadline; i++) {
    for (const [name, result] of Object.entries(results)) {
      const before = Date.now()
      writeFileSync(join(result.dir, 'content/blog/post-1.md'), post(1, `MARK-${i}\n\nEdited ${i} times.`))
      const at = await shownAt(result.page, i).catch(err => { throw new Error(`${name}, sample ${i}: ${err.message}`) })
      result.samples.push(at - before)
      // The message that made the tab show it: ours a `reload`, Eleventy's its reload (a patch).
      const told = result.frames.find(frame => frame.at >= before && /reload/.test(frame.text))
      if (told !== undefined) result.told.push(told.at - before)
      await sleep(PAUSE_MS)
    }
  }
} finally {
  await browser.close()
  for (const server of running) server.stop()
  rmSync(root, { recursive: true, force: true })
}

const [ours, theirs] = Object.values(results).map(result => result.samples)
const lines = [
  `# Eleventy: save → page shows it (${new Date().toISOString()})`,
  '',
  `${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg().map(l => l.toFixed(2)).join(' ')}, Node ${process.version}, Chromium ${browser.version()}, Eleventy ${eleventyVersion}, ${POSTS} posts, ${ours.length} samples per tool, turn about.`,
  '',
  '| tool | save → shown p50 (ms) | p95 | min | max | save → the tab told p50 (ms) | p95 | page loads |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...Object.entries(results).map(([name, { samples, told, loads }]) => `| ${name} | ${fmt(median(samples), 0)} | ${fmt(percentile(samples, 95), 0)} | ${fmt(Math.min(...samples), 0)} | ${fmt(Math.max(...samples), 0)} | ${fmt(median(told), 0)} | ${fmt(percentile(told, 95), 0)} | ${loads} |`),
  '',
  `Ratio ours / eleventy --serve: p50 ×${fmt(median(ours) / median(theirs), 2)}, p95 ×${fmt(percentile(ours, 95) / percentile(theirs, 95), 2)}.`
]
console.log(lines.join('\n'))
mkdirSync(here('results'), { recursive: true })
writeFileSync(here('results/eleventy.md'), `${lines.join('\n')}\n`)
