// Scenario 6: starting to watch 10,000 and 100,000 files: ready time, RSS growth, event-loop
// stalls, and a change deep in the tree seen.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alternatives, connectClient, fmt, median, now, oursBefore, percentile, sleep, startEntry, table } from '../lib/harness.js'

const PER_DIR = 100
/** A tool that has not seen the deep change this long after it started has failed the scenario. */
const SEEN_TIMEOUT_MS = 30_000

async function makeTree (files) {
  const root = await mkdtemp(join(tmpdir(), 'flr-bench-tree-'))
  const leaves = files / PER_DIR
  const fanOut = Math.ceil(Math.sqrt(leaves))
  const dirs = []
  for (let i = 0; i < leaves; i++) dirs.push(join(root, `a${Math.floor(i / fanOut)}`, `b${i % fanOut}`))
  await writeFile(join(root, 'index.html'), '<html><head></head><body>tree</body></html>')
  let next = 0
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < dirs.length) {
      const dir = dirs[next++]
      await mkdir(dir, { recursive: true })
      for (let f = 0; f < PER_DIR; f++) await writeFile(join(dir, `p${f}.html`), `<p>${f}</p>`)
    }
  }))
  return { root, deep: dirs.at(-1) }
}

/**
 * One start of `entry` on the tree: listening, the deep change seen, RSS growth and the longest
 * event-loop stall; `seen` is null when the tool saw no change in SEEN_TIMEOUT_MS.
 */
async function startOnce (entry, root, deep) {
  const server = await startEntry(entry, { root })
  try {
    // Listening is not watching for the chokidar tools: rewrite one file deep in the tree
    // until the tool reports it; that moment is when it really watches. (One file: many
    // files every 20 ms would be a burst, which ours rightly holds until it ends.)
    await server.ask('monitor', 'monitoring')
    const client = await connectClient(entry.kind, server.port)
    try {
      const seen = { at: null }
      client.once('message', at => { seen.at = at })
      let n = 0
      while (seen.at === null && now() - server.started < SEEN_TIMEOUT_MS) {
        await writeFile(join(deep, 'change.html'), `<p>${n++}</p>`)
        await sleep(20)
      }
      if (seen.at === null) return { listening: server.readyAt - server.started, seen: null }
      await sleep(200)
      const { maxMs, rss } = await server.ask('stalls', 'stalls', 30_000)
      return { listening: server.readyAt - server.started, seen: seen.at - server.started, rss: (rss - server.rssBefore) / 1024 / 1024, stall: Math.max(maxMs, server.stallMs) }
    } finally {
      client.close()
    }
  } finally {
    await server.stop()
  }
}

export async function watchStart ({ samples, log }) {
  const sizes = samples.bigTree ? [10_000, 100_000] : [10_000]
  const withAlternativesAt = new Set([10_000, ...(process.env.BENCH_BIG_ALTERNATIVES === '1' ? [100_000] : [])])
  const rows = []
  const verdicts = []
  for (const files of sizes) {
    const t0 = Date.now()
    const { root, deep } = await makeTree(files)
    log(`  tree of ${files} files made in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    // Ours and its two floors are started several times, in an order that turns each round (a
    // start is one sample of a noisy machine); the alternatives once each.
    const measured = [
      { name: 'floor: raw @parcel/watcher', tool: 'parcel', kind: 'raw' },
      { name: 'bare Fastify + @fastify/websocket + @parcel/watcher', tool: 'bare', kind: 'bare' },
      { name: 'fastify-livereload', tool: 'ours', kind: 'ours' },
      ...oursBefore()
    ]
    const rounds = files > 10_000 ? samples.bigStarts : samples.starts
    const results = Object.fromEntries(measured.map(entry => [entry.name, []]))
    try {
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < measured.length; i++) {
          const entry = measured[(i + round) % measured.length]
          const result = await startOnce(entry, root, deep)
          if (result.seen === null) throw new Error(`${entry.name} did not see a change in ${SEEN_TIMEOUT_MS / 1000} s of watching ${files} files`)
          results[entry.name].push(result)
        }
      }
      for (const entry of measured) {
        const runs = results[entry.name]
        const listening = runs.map(r => r.listening)
        rows.push([files.toLocaleString('en'), entry.name, `${fmt(median(listening), 0)} / ${fmt(percentile(listening, 95), 0)}`, fmt(median(runs.map(r => r.seen)), 0), fmt(median(runs.map(r => r.rss))), fmt(median(runs.map(r => r.stall)), 0)])
        log(`  ${files} ${entry.name}: ${rows.at(-1).slice(2).join(', ')}`)
      }
      for (const entry of withAlternativesAt.has(files) ? alternatives().filter(a => !a.minimum) : []) {
        const result = await startOnce(entry, root, deep)
        const seen = result.seen === null ? `not seen in ${SEEN_TIMEOUT_MS / 1000} s` : fmt(result.seen, 0)
        rows.push([files.toLocaleString('en'), entry.name, fmt(result.listening, 0), seen, result.seen === null ? '–' : fmt(result.rss), result.seen === null ? '–' : fmt(result.stall, 0)])
        log(`  ${files} ${entry.name}: ${rows.at(-1).slice(2).join(', ')}`)
      }
    } finally {
      await rm(root, { recursive: true, force: true })
    }
    const listening = name => median(results[name].map(r => r.listening))
    const rss = name => median(results[name].map(r => r.rss))
    const stall = median(results['fastify-livereload'].map(r => r.stall))
    const [ours, bare] = ['fastify-livereload', 'bare Fastify + @fastify/websocket + @parcel/watcher']
    const ratio = listening(ours) / listening(bare)
    verdicts.push(`${files} files: ready ${fmt(listening(ours), 0)} ms vs bare app ${fmt(listening(bare), 0)} ms, medians of ${rounds} (×${fmt(ratio, 2)}), RSS +${fmt(rss(ours))} vs +${fmt(rss(bare))} MB (×${fmt(rss(ours) / rss(bare), 2)}) (target ≤ 1.2×): ${ratio <= 1.2 && rss(ours) <= rss(bare) * 1.2 ? 'met' : 'NOT met'}; max stall ${fmt(stall, 0)} ms, median (target ≤ 10): ${stall <= 10 ? 'met' : 'NOT met'}`)
  }
  return {
    markdown: table('6. Watch start',
      `Trees of ${PER_DIR} files per directory, two levels deep, on disk. "listening": from the start call to the server listening (for ours and the floors, the watch is subscribed by then); "change seen": from the start call until one file deep in the tree, rewritten every 20 ms, is first reported (when the tool really watches). RSS growth after that, modules loaded beforehand; max event-loop stall from start to then. Ours and the two floors: ${samples.starts} starts each at 10,000 files and ${samples.bigStarts} at 100,000, in an order that turns each round; listening p50 / p95, the other columns medians. The alternatives: one start each. Alternatives at 100,000 files only with BENCH_BIG_ALTERNATIVES=1 (7–9 s and 400–665 MB each).`,
      ['files', 'tool', 'listening ms', 'change seen ms', 'RSS growth MB', 'max stall ms'],
      rows) + '\n' + verdicts.map(v => `- ${v}`).join('\n') + '\n',
    verdicts
  }
}
