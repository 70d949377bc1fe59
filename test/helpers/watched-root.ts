import { join } from 'node:path'
import type { Test } from 'tap'
import { connectLiveReload } from '../../lib/testing.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { harness } from './harness.js'
import { logLines } from './log.js'

/** An app serving and watching dist/ (one page) of a fixture, its info log, and a connected client. */
export async function watchedRoot (t: Test, options: LiveReloadOptions = {}) {
  const log = logLines('info')
  const { app, dir } = await harness(t, {
    files: { dist: { 'index.html': '<h1>one</h1>' } },
    options: dir => ({ root: join(dir, 'dist'), ...options }),
    fastify: { logger: log.logger },
    listen: false
  })
  const dist = join(dir, 'dist')
  const client = await connectLiveReload(app, { transport: 'socket' })
  return { app, dir, dist, log, client }
}
