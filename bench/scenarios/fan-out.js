// Scenario 4: one message to 100 and 1,000 clients; time until the last client has it.
import { connectClient, fmt, median, now, startEntry, table, waitEvent } from '../lib/harness.js'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Clients connect this many at a time, so that a tool's accept queue is never the bottleneck. */
const CONNECT_BATCH = 50
const ROUND_TIMEOUT_MS = 10_000

// Tools with a broadcast call are triggered over IPC (trigger → last client); the others only
// by a file write, so for them the spread (first → last client) is the comparable figure.
const entries = [
  { name: 'floor: raw ws broadcast', tool: 'rawws', kind: 'raw', hasTrigger: true },
  { name: 'fastify-livereload', tool: 'ours', kind: 'ours', hasTrigger: true, isOurs: true },
  { name: 'livereload', tool: 'livereload', kind: 'livereload', hasTrigger: true },
  { name: 'five-server (minimum)', tool: 'fiveserver', kind: 'five', minimum: true },
  { name: 'live-server (minimum)', tool: 'liveserver', kind: 'live', minimum: true }
]

export async function fanOut ({ samples, log }) {
  const rows = []
  const results = {}
  for (const clientCount of [100, 1000]) {
    for (const entry of entries) {
      const root = await mkdtemp(join(tmpdir(), 'flr-bench-'))
      await writeFile(join(root, 'index.html'), '<html><head></head><body>0</body></html>')
      const server = await startEntry(entry, { root })
      const clients = []
      try {
        for (let i = 0; i < clientCount; i += CONNECT_BATCH) {
          clients.push(...await Promise.all(Array.from({ length: Math.min(CONNECT_BATCH, clientCount - i) }, () => connectClient(entry.kind, server.port))))
        }
        const lasts = []
        const spreads = []
        for (let round = 0; round <= samples.fanOutRounds; round++) {
          const receipts = clients.map(client => waitEvent(client, 'message', ROUND_TIMEOUT_MS, `${entry.name}: a client missed the message`))
          let start
          if (entry.hasTrigger) {
            start = (await server.ask('trigger', 'triggered')).at
          } else {
            start = now()
            await writeFile(join(root, 'index.html'), `<html><head></head><body>${start}</body></html>`)
          }
          const settled = await Promise.allSettled(receipts)
          const missed = settled.filter(r => r.status === 'rejected').length
          if (missed > 0) {
            if (entry.hasTrigger) throw new Error(`${entry.name}: ${missed} of ${clientCount} clients missed the message`)
            lasts.push(NaN) // a tool that loses messages under fan-out: recorded, the run goes on
            spreads.push(NaN)
            log(`  ${entry.name}: ${missed} of ${clientCount} clients missed the message in round ${round}`)
            continue
          }
          const times = settled.map(r => r.value)
          if (round === 0) continue // warm-up
          lasts.push(Math.max(...times) - start)
          spreads.push(Math.max(...times) - Math.min(...times))
          await new Promise(resolve => setTimeout(resolve, entry.hasTrigger ? 100 : 600))
        }
        const complete = values => values.some(Number.isNaN) ? NaN : median(values)
        results[`${entry.name}@${clientCount}`] = { last: complete(lasts), spread: complete(spreads) }
        rows.push([clientCount, entry.name, lasts.some(Number.isNaN) ? 'clients missed messages' : entry.hasTrigger ? fmt(median(lasts)) : `(write) ${fmt(median(lasts))}`, fmt(complete(spreads))])
        log(`  ${clientCount} ${entry.name}: last ${fmt(median(lasts))} ms, spread ${fmt(median(spreads))} ms`)
      } finally {
        for (const client of clients) client.close()
        await server.stop()
        await rm(root, { recursive: true, force: true })
      }
    }
  }
  const verdicts = []
  for (const clientCount of [100, 1000]) {
    const ours = results[`fastify-livereload@${clientCount}`]
    const floor = results[`floor: raw ws broadcast@${clientCount}`]
    const fastestSpread = Math.min(...entries.filter(e => !e.isOurs && !e.name.startsWith('floor')).map(e => results[`${e.name}@${clientCount}`].spread).filter(Number.isFinite))
    verdicts.push(`${clientCount} clients: ours ${fmt(ours.last)} ms vs raw ws ${fmt(floor.last)} ms, ratio ${fmt(ours.last / floor.last, 2)} (target ≤ 1.10): ${ours.last <= floor.last * 1.1 ? 'met' : 'NOT met'}; spread ${fmt(ours.spread)} ms vs the fastest alternative's ${fmt(fastestSpread)} ms: ${ours.spread <= fastestSpread ? 'met' : 'NOT met'}`)
  }
  return {
    markdown: table('4. Fan-out',
      `Clients in the bench process (the \`ws\` package for every tool). "last": from the broadcast call (sent over IPC to the tool's own API) to the last client's receipt; for tools with no broadcast API, from a file write, marked (write). "spread": first to last client. Median of ${samples.fanOutRounds} rounds after one warm-up.`,
      ['clients', 'tool', 'last ms', 'spread ms'],
      rows) + '\n' + verdicts.map(v => `- ${v}`).join('\n') + '\n',
    verdicts
  }
}
