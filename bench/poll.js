// Cost of polling (the `poll` option) on large trees: CPU per sweep, event-loop delay, and the
// time from a write to its event at the default interval. Plain script: `npm run build` first,
// then `node bench/poll.js [files...]` (default: 10000 and 100000 files, 100 per directory).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { pollSubscribe } from '../dist/watch/poll.js'
import { DEFAULT_POLL_INTERVAL_MS } from '../dist/options.js'

const hold = setInterval(() => {}, 60_000) // the poller's timers are unref'd: keep the process up
const sizes = process.argv.slice(2).map(Number)
const SWEEPS = 8
const WRITES = 5

for (const files of sizes.length > 0 ? sizes : [10_000, 100_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'poll-bench-'))
  for (let d = 0; d < files / 100; d++) {
    mkdirSync(join(dir, `d${d}`))
    for (let f = 0; f < 100; f++) writeFileSync(join(dir, `d${d}`, `f${f}.txt`), 'x')
  }
  let onEvents = () => {}
  const scanStart = performance.now()
  const subscription = await pollSubscribe(dir, (_err, events) => onEvents(events), { ignore: ['**/node_modules/**'], interval: DEFAULT_POLL_INTERVAL_MS })
  const scanMs = performance.now() - scanStart

  // Idle sweeps: CPU over a fixed span divided by the sweeps in it (the poller runs alone here).
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const cpu = process.cpuUsage()
  const span = performance.now()
  await new Promise(resolve => setTimeout(resolve, SWEEPS * DEFAULT_POLL_INTERVAL_MS))
  const used = process.cpuUsage(cpu)
  const spanMs = performance.now() - span
  delay.disable()

  // Write-to-event latency: a write at a random moment, awaited.
  const latencies = []
  for (let i = 0; i < WRITES; i++) {
    await new Promise(resolve => setTimeout(resolve, Math.random() * DEFAULT_POLL_INTERVAL_MS))
    const file = join(dir, `d${Math.floor(Math.random() * files / 100)}`, `f${i}.txt`)
    const seen = new Promise(resolve => { onEvents = events => { if (events.some(e => e.path === file)) resolve() } })
    const written = performance.now()
    writeFileSync(file, `changed ${i}`)
    await seen
    latencies.push(performance.now() - written)
  }
  await subscription.unsubscribe()
  rmSync(dir, { recursive: true, force: true })
  const median = list => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
  const cpuMs = (used.user + used.system) / 1000
  console.log(JSON.stringify({
    files,
    initialScanMs: Math.round(scanMs),
    cpuMsPerInterval: Math.round(cpuMs / (spanMs / DEFAULT_POLL_INTERVAL_MS)),
    cpuShareOfOneCore: `${(100 * cpuMs / spanMs).toFixed(1)} %`,
    loopDelayP99Ms: +(delay.percentile(99) / 1e6).toFixed(1),
    loopDelayMaxMs: +(delay.max / 1e6).toFixed(1),
    writeToEventMs: { median: Math.round(median(latencies)), max: Math.round(Math.max(...latencies)) }
  }))
}
clearInterval(hold)
