// The HTML string route of scenario 5 alone, for comparing two commits: run it in each one's
// worktree (after `npm run build`), alternating, several times. Plain script:
// `node bench/string-route.js`. Prints one line: the medians of four rounds of 3 s per variant
// (the same app without and with the plugin, alternating), requests/s ratio and server CPU per
// request ratio, as scenario 5 computes them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { killAll, median, startTool } from './lib/harness.js'

const ROUNDS = 4
const SECONDS = 3

const root = await mkdtemp(join(tmpdir(), 'flr-route-'))
await writeFile(join(root, 'page.html'), `<!doctype html><html><body>${'x'.repeat(20_000)}</body></html>`)
const apps = {
  without: await startTool('ours', { root, static: true, routes: true, plugin: false }),
  with: await startTool('ours', { root, static: true, routes: true })
}
const cpuOf = async app => { const { cpu } = await app.ask('usage', 'usage'); return cpu.user + cpu.system }
const cannon = async (app, duration) => await autocannon({ url: `http://127.0.0.1:${app.port}/route`, connections: 50, duration })
const rps = { without: [], with: [] }
const cpu = { without: [], with: [] }
try {
  for (const variant of ['without', 'with']) await cannon(apps[variant], 1) // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of round % 2 === 0 ? ['without', 'with'] : ['with', 'without']) {
      const before = await cpuOf(apps[variant])
      const result = await cannon(apps[variant], SECONDS)
      cpu[variant].push((await cpuOf(apps[variant]) - before) / result.requests.total)
      rps[variant].push(result.requests.average)
    }
  }
  console.log(`string route: requests/s ratio ${(median(rps.with) / median(rps.without)).toFixed(3)}, server CPU per request ratio ${(median(cpu.without) / median(cpu.with)).toFixed(3)} (CPU µs/req without ${median(cpu.without).toFixed(1)}, with ${median(cpu.with).toFixed(1)})`)
} finally {
  for (const app of Object.values(apps)) await app.stop()
  await rm(root, { recursive: true, force: true })
  killAll()
}
