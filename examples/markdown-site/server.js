// Markdown sources → HTML pages, rebuilt on save, browsers reloaded once the build is done.
// Run it with `npm run example:markdown` from the repository root, open the URL it prints, and
// edit content/*.md, layout.html or style.css. Break a page (remove the "# Title" line it
// opens with) and save: the error overlay shows where; put it back and it goes.
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'
import { markdownBuilder } from './build.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/** @param {{ logger?: import('fastify').FastifyServerOptions['logger'], out?: string }} [options] */
export async function createApp ({ logger = { level: 'info' }, out = here('dist') } = {}) {
  const app = Fastify({ logger })
  const sources = { content: here('content'), layout: here('layout.html'), stylesheet: here('style.css') }
  await app.register(liveReload, {
    root: out,
    watch: Object.values(sources),
    builder: markdownBuilder({ ...sources, out })
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Markdown site: http://localhost:${port}/\n  Edit ${here('content')} and watch the page.\n`)
}
