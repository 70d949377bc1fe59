import { join } from 'node:path'
import type { Test } from 'tap'
import liveReload from '../../lib/index.js'
import { connectLiveReload } from '../../lib/testing.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { testApp } from './app.js'
import { fixture } from './fixture.js'
import { logLines } from './log.js'

/** An app serving and watching dist/ (one page) of a fixture, its info log, and a connected client. */
export async function watchedRoot (t: Test, options: LiveReloadOptions = {}) {
  const log = logLines('info')
  const app = testApp(t, { logger: log.logger })
  const dir = fixture(t, { dist: { 'index.html': '<h1>one</h1>' } })
  const dist = join(dir, 'dist')
  await app.register(liveReload, { root: dist, ...options })
  const client = await connectLiveReload(app, { transport: 'socket' })
  return { app, dir, dist, log, client }
}
