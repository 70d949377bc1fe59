// Scenario 7: what an idle app with the plugin and 10 connected clients costs, against the same
// app without the plugin, over the same seconds.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectClient, fmt, sleep, startTool, table } from '../lib/harness.js'

const CLIENTS = 10

export async function idle ({ samples, log }) {
  const root = await mkdtemp(join(tmpdir(), 'flr-bench-'))
  await writeFile(join(root, 'index.html'), '<html><head></head><body>idle</body></html>')
  const apps = {
    without: await startTool('ours', { root, static: true, plugin: false }),
    with: await startTool('ours', { root })
  }
  const clients = []
  const rows = []
  try {
    for (let i = 0; i < CLIENTS; i++) clients.push(await connectClient('ours', apps.with.port))
    await sleep(500)
    const before = { without: await apps.without.ask('usage', 'usage'), with: await apps.with.ask('usage', 'usage') }
    await sleep(samples.idleSeconds * 1000)
    const after = { without: await apps.without.ask('usage', 'usage'), with: await apps.with.ask('usage', 'usage') }
    for (const variant of ['without', 'with']) {
      const cpuMs = (after[variant].cpu.user + after[variant].cpu.system - before[variant].cpu.user - before[variant].cpu.system) / 1000
      const timers = after[variant].resources.filter(r => r === 'Timeout').length
      rows.push([variant === 'with' ? `with the plugin, ${CLIENTS} clients` : 'without the plugin', fmt(cpuMs), fmt(cpuMs / samples.idleSeconds / 10, 3), fmt(after[variant].rss / 1024 / 1024), timers, after[variant].resources.join(' ')])
    }
    log(`  ${rows.map(r => r.slice(0, 5).join(' ')).join(' | ')}`)
  } finally {
    for (const client of clients) client.close()
    await apps.without.stop()
    await apps.with.stop()
    await rm(root, { recursive: true, force: true })
  }
  const extra = Number(rows[1][1]) - Number(rows[0][1])
  const verdict = `idle: +${fmt(extra)} ms CPU over ${samples.idleSeconds} s with ${CLIENTS} clients, ${rows[1][4]} ref'ed timer(s) vs ${rows[0][4]} (the heartbeat is unref'ed)`
  return {
    markdown: table('7. Idle cost',
      `Both apps idle over the same ${samples.idleSeconds} s; the server process's CPU time, RSS at the end, and its active resources (process.getActiveResourcesInfo()).`,
      ['app', 'CPU ms', 'CPU %', 'RSS MB', 'timers', 'active resources'],
      rows) + `\n- ${verdict}\n`,
    verdicts: [verdict]
  }
}
