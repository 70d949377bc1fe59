// Scenario 8: the bytes each tool's browser client costs a page.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { fmt, table } from '../lib/harness.js'

const here = path => fileURLToPath(new URL(path, import.meta.url))
const clients = [
  ['fastify-livereload (dist/client.js)', '../../dist/client.js'],
  ['fastify-livereload with the patcher (dist/client-patch.js, served instead with the patch option, the default)', '../../dist/client-patch.js'],
  ['fastify-livereload with sync (dist/client-sync.js, served instead with the sync option)', '../../dist/client-sync.js'],
  ['livereload-js (livereload-js/dist/livereload.js)', '../node_modules/livereload-js/dist/livereload.js'],
  ['browser-sync (browser-sync-client/dist/index.js)', '../node_modules/browser-sync-client/dist/index.js'],
  ['five-server (five-server/client/injected.js)', '../node_modules/five-server/client/injected.js'],
  ['live-server (live-server/injected.html)', '../node_modules/live-server/injected.html']
]

export async function clientWeight () {
  const rows = []
  let ours = NaN
  for (const [name, path] of clients) {
    const bytes = await readFile(here(path))
    const gz = gzipSync(bytes, { level: 9 }).length
    if (name.startsWith('fastify-livereload (')) ours = gz
    rows.push([name, bytes.length.toLocaleString('en'), gz.toLocaleString('en'), fmt(gz / 1024, 2)])
  }
  rows.push(['Vite client (not installed here; figure from issue 6)', '–', '–', '12.5'])
  const verdict = `client ${fmt(ours / 1024, 2)} KB gzip -9 (target ≤ 3 KB): ${ours <= 3 * 1024 ? 'met' : 'NOT met'}`
  return {
    markdown: table('8. Client weight', 'Bytes as served, and gzip -9.', ['client', 'bytes', 'gzip bytes', 'gzip KB'], rows) + `\n- ${verdict}\n`,
    verdicts: [verdict]
  }
}
