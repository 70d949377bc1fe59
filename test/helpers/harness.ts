import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Test } from 'tap'
import liveReload from '../../lib/index.js'
import { liveReloadOn } from '../../lib/plugin.js'
import type { World } from '../../lib/world.js'
import type { LiveReloadOptions } from '../../types/index.js'
import { listen, testApp } from './app.js'
import { fixture, type Files } from './fixture.js'

export interface HarnessOptions {
  /** A site: written into a fixture directory, which is the plugin's `root` unless `options` names another. */
  files?: Files
  /** The plugin's options, or a function of the fixture directory giving them (`root: join(dir, 'dist')`). */
  options?: LiveReloadOptions | ((dir: string) => LiveReloadOptions)
  /** What the app has before the plugin is registered: its routes, hooks, other plugins. */
  setup?: (app: FastifyInstance) => void | Promise<void>
  /** Fastify's own options (a logger, https). */
  fastify?: FastifyServerOptions
  /** The clocks, timers and files the plugin's parts wait on and read (a fake clock: test/helpers/fake-world.ts); the real ones by default. */
  world?: World
  /** Listen on a free loopback port (the default), or on `port`; false: the test only injects. */
  listen?: boolean
  port?: number
}

export interface Harness {
  app: FastifyInstance
  /** The directory `files` were written to ('' without files). */
  dir: string
  /** The port it listens on (0 when it does not). */
  port: number
  /** `http://127.0.0.1:<port>`. */
  origin: string
}

/**
 * The one way a test serves the plugin in its own process: an app (closed when the test ends)
 * with the test's site and setup, the plugin registered, listening unless told not to. Tests of
 * what runs in other processes (the command, `dev`, cluster nodes, shard workers) start those
 * through helpers/cli.ts and helpers/cluster.ts; tests of the pipeline alone use a fake world
 * (helpers/fake-pipeline.ts), and `world` puts a whole app's pipeline on one.
 */
export async function harness (t: Test, { files, options = {}, setup, fastify, world, listen: isListening = true, port: wanted = 0 }: HarnessOptions = {}): Promise<Harness> {
  const app = testApp(t, fastify)
  const dir = files === undefined ? '' : fixture(t, files)
  await setup?.(app)
  const chosen = typeof options === 'function' ? options(dir) : options
  const plugin = world === undefined ? liveReload : liveReloadOn(world)
  await app.register(plugin, files === undefined ? chosen : { root: dir, ...chosen })
  const port = isListening ? await listen(app, wanted) : 0
  return {
    app,
    dir,
    port,
    origin: `http://127.0.0.1:${port}`
  }
}
