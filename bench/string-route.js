// The HTML string routes of scenario 5, for comparing two commits: run it in each one's worktree
// (after `npm run build`), alternating, several times. Plain script: `node bench/string-route.js`.
// The same app without and with the plugin, alternating, measured as scenario 5 measures each
// case (four rounds of 3 s per variant), on three 20 KB pages: the same string every time, the
// page rendered again per request from the same data, and a page different every time.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { killAll, startTool } from './lib/harness.js'
import { measureCase } from './scenarios/injection.js'

const root = await mkdtemp(join(tmpdir(), 'flr-route-'))
const apps = {
  without: await startTool('ours', { root, static: true, routes: true, plugin: false }),
  with: await startTool('ours', { root, static: true, routes: true })
}
try {
  for (const [name, path] of [['the same string', '/route'], ['rendered again', '/rendered'], ['different every time', '/counter']]) {
    const { rps, cpu } = await measureCase(apps, path, { rounds: 4, seconds: 3 })
    console.log(`${name}: requests/s ratio ${(rps.with / rps.without).toFixed(3)}, server CPU per request ratio ${(cpu.without / cpu.with).toFixed(3)} (CPU µs/req without ${cpu.without.toFixed(1)}, with ${cpu.with.toFixed(1)})`)
  }
} finally {
  for (const app of Object.values(apps)) await app.stop()
  await rm(root, { recursive: true, force: true })
  killAll()
}
