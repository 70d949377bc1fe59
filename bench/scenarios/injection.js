// Scenario 5: what injecting the client costs a page, with autocannon, against the same app
// without the plugin, in the same run.
import { request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { fmt, median, now, startTool, table, waitEvent } from '../lib/harness.js'

const CONNECTIONS = 50
const paragraph = '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.</p>\n'

function cannon (url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds }, (err, result) => {
      if (err) return reject(err)
      if (result.errors > 0 || result.non2xx > 0) return reject(new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx responses`))
      resolve({ rps: result.requests.average, requests: result.requests.total })
    })
  })
}

/** Time from sending the request to the first byte of the body, ms. */
function firstByte (port, path) {
  return new Promise((resolve, reject) => {
    const started = now()
    const req = request({ host: '127.0.0.1', port, path }, res => {
      res.once('data', () => resolve(now() - started))
      res.resume()
    })
    req.on('error', reject)
    req.setTimeout(5000, () => req.destroy(new Error(`${path}: no response within 5 s`)))
    req.end()
  })
}

/**
 * One case: `path` on the app without and with the plugin, `rounds` rounds of `seconds` per
 * variant in alternating order after a 1 s warm-up. The medians of requests/s and of the server
 * process's CPU µs per request, per variant.
 */
export async function measureCase (apps, path, { rounds, seconds }) {
  const rps = { without: [], with: [] }
  const cpu = { without: [], with: [] }
  for (const variant of ['without', 'with']) await cannon(`http://127.0.0.1:${apps[variant].port}${path}`, 1) // warm-up
  for (let round = 0; round < rounds; round++) {
    // alternate the order, so that a drift in the machine's load hits both alike
    for (const variant of round % 2 === 0 ? ['without', 'with'] : ['with', 'without']) {
      const before = (await apps[variant].ask('usage', 'usage')).cpu
      const result = await cannon(`http://127.0.0.1:${apps[variant].port}${path}`, seconds)
      const after = (await apps[variant].ask('usage', 'usage')).cpu
      rps[variant].push(result.rps)
      cpu[variant].push((after.user + after.system - before.user - before.system) / result.requests)
    }
  }
  return { rps: { without: median(rps.without), with: median(rps.with) }, cpu: { without: median(cpu.without), with: median(cpu.with) } }
}

function drain (port, path) {
  return new Promise((resolve, reject) => {
    let bytes = 0
    const req = request({ host: '127.0.0.1', port, path }, res => {
      res.on('data', chunk => { bytes += chunk.length })
      res.on('end', () => resolve(bytes))
    })
    req.on('error', reject)
    req.setTimeout(60_000, () => req.destroy(new Error(`${path}: stalled`)))
    req.end()
  })
}

export async function injection ({ samples, log }) {
  const root = await mkdtemp(join(tmpdir(), 'flr-bench-'))
  const body = paragraph.repeat(Math.ceil(20 * 1024 / paragraph.length))
  await writeFile(join(root, 'page.html'), `<!doctype html><html><head><title>page</title></head><body>${body}</body></html>`)
  await writeFile(join(root, 'app.js'), `// ${'x'.repeat(80)}\n`.repeat(Math.ceil(20 * 1024 / 84)))
  const apps = {
    without: await startTool('ours', { root, static: true, routes: true, plugin: false }),
    with: await startTool('ours', { root, static: true, routes: true })
  }
  const cases = [['static HTML (20 KB, @fastify/static)', '/page.html', 0.90], ['HTML string route (20 KB)', '/route', 0.95], ['non-HTML file (20 KB)', '/app.js', 0.98]]
  const rows = []
  const verdicts = []
  try {
    for (const [name, path, target] of cases) {
      const { rps, cpu } = await measureCase(apps, path, { rounds: samples.cannonRounds, seconds: samples.cannonSeconds })
      const ratio = rps.with / rps.without
      const cpuRatio = cpu.without / cpu.with
      rows.push([name, fmt(rps.without, 0), fmt(rps.with, 0), fmt(ratio, 3), `≥ ${target}`, fmt(cpu.without), fmt(cpu.with), fmt(cpuRatio, 3)])
      verdicts.push(`${name}: requests/s ratio ${fmt(ratio, 3)} (target ≥ ${target}): ${ratio >= target ? 'met' : 'NOT met'}; server CPU per request ratio ${fmt(cpuRatio, 3)}`)
      log(`  ${name}: ${rows.at(-1).slice(1).join(' ')}`)
    }

    const ttfb = { without: [], with: [] }
    for (let i = 0; i < samples.ttfb; i++) {
      for (const variant of ['without', 'with']) ttfb[variant].push(await firstByte(apps[variant].port, '/stream'))
    }
    const added = median(ttfb.with) - median(ttfb.without)
    rows.push(['streamed page: time to first byte, ms', fmt(median(ttfb.without), 2), fmt(median(ttfb.with), 2), `+${fmt(added, 2)} ms`, '≤ +1 ms', '', '', ''])
    verdicts.push(`streamed page TTFB: +${fmt(added, 2)} ms (target ≤ 1): ${added <= 1 ? 'met' : 'NOT met'}`)

    const growth = {}
    for (const variant of ['without', 'with']) {
      const before = (await apps[variant].ask('usage', 'usage')).rss
      const peak = waitEvent(apps[variant].events, 'peak', 60_000, '100 MB stream: no end')
      const bytes = await drain(apps[variant].port, '/huge')
      if (bytes < 100 * 1024 * 1024) throw new Error(`100 MB stream: only ${bytes} bytes arrived`)
      growth[variant] = ((await peak).rss - before) / 1024 / 1024
    }
    rows.push(['100 MB HTML stream: RSS growth, MB', fmt(growth.without), fmt(growth.with), '', '< 20 MB', '', '', ''])
    verdicts.push(`100 MB HTML stream: RSS +${fmt(growth.with)} MB with the plugin (target < 20): ${growth.with < 20 ? 'met' : 'NOT met'}`)
  } finally {
    await apps.without.stop()
    await apps.with.stop()
    await rm(root, { recursive: true, force: true })
  }
  return {
    markdown: table('5. Injection cost',
      `autocannon, ${CONNECTIONS} connections, ${samples.cannonRounds} round(s) of ${samples.cannonSeconds} s per variant in alternating order after a 1 s warm-up; requests/s (mean of each round, median of rounds). The same Fastify app with and without the plugin, @fastify/static registered by the app in both. CPU µs/req: the server process's user+system CPU over a round divided by its requests, a figure less swayed than requests/s by other load on the machine (autocannon shares the 2 cores). Streamed page: ${samples.ttfb} requests each, median.`,
      ['case', 'req/s without', 'req/s with', 'ratio', 'target', 'CPU µs/req without', 'CPU µs/req with', 'CPU ratio (without/with)'],
      rows) + '\n' + verdicts.map(v => `- ${v}`).join('\n') + '\n',
    verdicts
  }
}
