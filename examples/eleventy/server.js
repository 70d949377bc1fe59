// An Eleventy site, Eleventy in its own watch mode: the plugin keeps `eleventy --watch` running,
// serves what it writes to site/_site/, and reloads the page once per rebuild; a template or
// front-matter error shows over the page until the next good rebuild.
// Run it with `npm run example:eleventy` from the repository root (it installs Eleventy into
// site/ first), open the URL it prints, and edit site/content/.
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload, { runBuilder } from 'fastify-livereload'
import { listen } from '../listen.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/**
 * @param {{ logger?: import('fastify').FastifyServerOptions['logger'], site?: string, command?: string }} [options]
 * `command`: Eleventy's, run in `site`; the example's test runs a stand-in generator instead.
 */
export async function createApp ({ logger = { level: 'info' }, site = here('site'), command = 'npx --no-install @11ty/eleventy --watch' } = {}) {
  const app = Fastify({ logger })
  await app.register(liveReload, {
    root: `${site}/_site`,
    builder: runBuilder(command, { cwd: site })
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Eleventy site: http://localhost:${port}/\n  Edit ${here('site/content')} and watch the page.\n`)
}
