// Coverage of the library in the processes the tests start (the command, cluster nodes, shard
// workers, dev versions), in place of tap's: register.mjs gives them this module instead of
// @tapjs/processinfo, whose module hooks run on a thread of their own on Node < 24.13 and cost
// each child process ~220 ms of CPU (measured 2026-11-27: a Fastify app with the plugin started
// in 320 ms bare, 626 ms under processinfo, ~400 ms with coverage only; ~150 such processes in a
// run). It writes V8's precise coverage of dist/ into .tap/coverage/, where tap's report reads
// every process's file and follows each script's source map to lib/; not the client's bundles
// (they have none: .taprc's coverage map leaves lib/client/ out). Written fast, and without the
// maps, for the same reason as the first of its two takes (below).
import { randomUUID } from 'node:crypto'
import { Session } from 'node:inspector'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { onExit } from 'signal-exit'

const ROOT = new URL('../../', import.meta.url)
const DIST = new URL('dist/', ROOT).href

// A test process's worker threads have tap's own (execArgv) and get this one too (a worker's
// NODE_OPTIONS is read from its env): two sessions would each reset what the other counts.
if (!process.execArgv.some(option => option.includes('@tapjs/processinfo'))) measure()

function measure () {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true })
  // Each take is what ran since the last (tap's report adds them up). An in-thread session
  // answers at once, so each is written before the next listener runs: the first before the
  // process's own 'exit' listeners (a dev version's tells its supervisor why it stops, and the
  // supervisor kills it then), the second after them when the process lives that long.
  const take = () => {
    session.post('Profiler.takePreciseCoverage', (error, coverage) => {
      if (error !== null) throw error
      const result = coverage.result.filter(script => script.url.startsWith(DIST) && existsSync(new URL(`${script.url}.map`)))
      if (result.length === 0) return
      const directory = new URL('.tap/coverage/', ROOT)
      mkdirSync(directory, { recursive: true })
      writeFileSync(new URL(`${randomUUID()}.json`, directory), JSON.stringify({ result }))
    })
  }
  process.on('exit', take)
  onExit(take, { alwaysLast: true })
}
