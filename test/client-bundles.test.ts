// Which client {path}/client.js serves: the one with what the options turn on (synchronized
// browsing, patching), so that a page carries none of the rest; and each within its budget.
import { gzipSync } from 'node:zlib'
import t, { type Test } from 'tap'
import type { LiveReloadOptions } from '../types/index.js'
import { harness } from './helpers/harness.js'

async function client (t: Test, options: LiveReloadOptions): Promise<{ text: string, gzipped: number }> {
  const { app } = await harness(t, { options, listen: false })
  const res = await app.inject('/__livereload/client.js')
  t.equal(res.statusCode, 200)
  return { text: res.body, gzipped: gzipSync(res.rawPayload, { level: 9 }).length }
}

// Strings only each part's code holds: the sync client's `join` message, the patcher's console line.
const hasSync = (text: string) => text.includes('"join"')
const hasPatcher = (text: string) => text.includes('patched: ')

t.test('with patch: false, the client alone stays within its 3 KB (gzip -9)', async t => {
  const { text, gzipped } = await client(t, { patch: false })
  t.ok(gzipped <= 3 * 1024, `client.js: ${gzipped} bytes gzipped`)
  t.notOk(hasSync(text), 'no sync code in it')
  t.notOk(hasPatcher(text), 'no patcher in it')
})

t.test('by default the client has the patcher, within 8 KB (gzip -9), and no sync code', async t => {
  const { text, gzipped } = await client(t, {})
  t.ok(gzipped <= 8 * 1024, `client.js: ${gzipped} bytes gzipped`)
  t.ok(hasPatcher(text), 'the patcher')
  t.notOk(hasSync(text), 'no sync code in it')
})

t.test('with sync, the client has sync, and the patcher unless patch is false', async t => {
  const both = await client(t, { sync: true })
  t.ok(hasSync(both.text) && hasPatcher(both.text), `both: ${both.gzipped} bytes gzipped`)
  const syncOnly = await client(t, { sync: true, patch: false })
  t.ok(hasSync(syncOnly.text) && !hasPatcher(syncOnly.text), `sync alone: ${syncOnly.gzipped} bytes gzipped`)
  t.ok(syncOnly.gzipped < both.gzipped)
})
