// awaitDirectory alone (await-directory.ts): what a subscription waits on while its directory is
// gone, and what its close() must be able to end at any moment.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { awaitDirectory, isDirectory } from '../../lib/watch/await-directory.js'
import { fixture } from '../helpers/fixture.js'
import { holdEventLoop } from '../helpers/loop.js'

holdEventLoop(t)

t.test('resolves once the directory is made, three levels below the nearest one that exists', async t => {
  const dir = join(fixture(t), 'a', 'b', 'c')
  const made = awaitDirectory(dir, new AbortController().signal)
  await mkdir(dir, { recursive: true })
  await made
  t.ok(await isDirectory(dir))
})

t.test('an abort ends the wait for a directory that never comes', async t => {
  const dir = join(fixture(t), 'never')
  const closing = new AbortController()
  const waiting = awaitDirectory(dir, closing.signal)
  // Aborted during the first check, before a listener could be added: a listener added after the
  // abort never runs, and the wait went on for good (a subscription closed while its directory
  // was gone kept the process alive, seen as a test file that never exited).
  closing.abort()
  await waiting
  t.notOk(await isDirectory(dir))
})
