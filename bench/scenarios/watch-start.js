// Scenario 6: starting to watch 10,000 and 100,000 files: ready time, RSS growth, event-loop
// stalls, and a change deep in the tree seen.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alternatives, connectClient, fmt, now, sleep, startEntry, table } from '../lib/harness.js'

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

export async function watchStart ({ samples, log }) {
  const sizes = samples.bigTree ? [10_000, 100_000] : [10_000]
  const withAlternativesAt = new Set([10_000, ...(process.env.BENCH_BIG_ALTERNATIVES === '1' ? [100_000] : [])])
  const rows = []
  const verdicts = []
  for (const files of sizes) {
    const t0 = Date.now()
    const { root, deep } = await makeTree(files)
    log(`  tree of ${files} files made in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    const entries = [
      { name: 'floor: raw @parcel/watcher', tool: 'parcel', kind: 'raw' },
      { name: 'bare Fastify + @fastify/websocket + @parcel/watcher', tool: 'bare', kind: 'bare' },
      { name: 'fastify-livereload', tool: 'ours', kind: 'ours', isOurs: true },
      ...(withAlternativesAt.has(files) ? alternatives().filter(a => !a.minimum) : [])
    ]
    const results = {}
    try {
      for (const entry of entries) {
        const server = await startEntry(entry, { root })
        try {
          // Listening is not watching for the chokidar tools: rewrite one file deep in the tree
          // until the tool reports it; that moment is when it really watches. (One file: many
          // files every 20 ms would be a burst, which ours rightly holds until it ends.)
          await server.ask('monitor', 'monitoring')
          const client = await connectClient(entry.kind, server.port)
          const seen = { at: null }
          client.once('message', at => { seen.at = at })
          let n = 0
          while (seen.at === null && now() - server.started < SEEN_TIMEOUT_MS) {
            await writeFile(join(deep, 'change.html'), `<p>${n++}</p>`)
            await sleep(20)
          }
          const seenAt = seen.at
          if (seenAt === null) {
            if (entry.isOurs || entry.tool === 'parcel' || entry.tool === 'bare') throw new Error(`${entry.name} did not see a change in ${SEEN_TIMEOUT_MS / 1000} s of watching ${files} files`)
            rows.push([files.toLocaleString('en'), entry.name, fmt(server.readyAt - server.started, 0), `not seen in ${SEEN_TIMEOUT_MS / 1000} s`, '–', '–'])
            log(`  ${files} ${entry.name}: no change seen in ${SEEN_TIMEOUT_MS / 1000} s`)
            client.close()
            continue
          }
          await sleep(200)
          const { maxMs, rss } = await server.ask('stalls', 'stalls', 30_000)
          const stall = Math.max(maxMs, server.stallMs)
          const result = { listening: server.readyAt - server.started, seen: seenAt - server.started, rss: (rss - server.rssBefore) / 1024 / 1024, stall }
          results[entry.name] = result
          rows.push([files.toLocaleString('en'), entry.name, fmt(result.listening, 0), fmt(result.seen, 0), fmt(result.rss), fmt(stall, 0)])
          log(`  ${files} ${entry.name}: listening ${fmt(result.listening, 0)} ms, first change seen ${fmt(result.seen, 0)} ms, RSS +${fmt(result.rss)} MB, max stall ${fmt(stall, 0)} ms`)
          client.close()
        } finally {
          await server.stop()
        }
      }
    } finally {
      await rm(root, { recursive: true, force: true })
    }
    const ours = results['fastify-livereload']
    const bare = results['bare Fastify + @fastify/websocket + @parcel/watcher']
    verdicts.push(`${files} files: ready ${fmt(ours.listening, 0)} ms vs bare app ${fmt(bare.listening, 0)} ms (×${fmt(ours.listening / bare.listening, 2)}), RSS +${fmt(ours.rss)} vs +${fmt(bare.rss)} MB (×${fmt(ours.rss / bare.rss, 2)}) (target ≤ 1.2×): ${ours.listening <= bare.listening * 1.2 && ours.rss <= bare.rss * 1.2 ? 'met' : 'NOT met'}; max stall ${fmt(ours.stall, 0)} ms (target ≤ 10): ${ours.stall <= 10 ? 'met' : 'NOT met'}`)
  }
  return {
    markdown: table('6. Watch start',
      `Trees of ${PER_DIR} files per directory, two levels deep, on disk. "listening": from the start call to the server listening (for ours and the floors, the watch is subscribed by then); "change seen": from the start call until one file deep in the tree, rewritten every 20 ms, is first reported (when the tool really watches). RSS growth after that, modules loaded beforehand; max event-loop stall from start to then. One run per tool. Alternatives at 100,000 files only with BENCH_BIG_ALTERNATIVES=1 (7–9 s and 400–665 MB each).`,
      ['files', 'tool', 'listening ms', 'change seen ms', 'RSS growth MB', 'max stall ms'],
      rows) + '\n' + verdicts.map(v => `- ${v}`).join('\n') + '\n',
    verdicts
  }
}
