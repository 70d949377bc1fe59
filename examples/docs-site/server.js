// A generated documentation site of 2,000 pages in 20 sections, built by shardedBuilder: the
// first start builds every section in parallel worker threads; a save rebuilds its section's
// changed page only; a restart with no edits builds nothing (the shard cache is on disk, in
// node_modules/.cache). Run it with `npm run example:docs` from the repository root (set
// DOCS_PAGES for another page count), open the URL it prints and edit any page under content/,
// or layout.html to rebuild them all. With SHARD_REDIS=redis://host:6379, the sections go to
// shard workers over Redis instead: start one or more with
// `npx fastify-livereload shard-worker --redis redis://host:6379 --worker examples/docs-site/worker.js`
// in the repository root, where `npm run example:docs` runs (the queue's name derives from the
// working directory).
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'
import { generateSite } from './generate.js'
import { docsBuilder } from './site.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/**
 * @param {{ logger?: import('fastify').FastifyServerOptions['logger'], out?: string, content?: string, cache?: string | false, pages?: number, redis?: string }} [options]
 */
export async function createApp ({
  logger = { level: 'info' }, out = here('dist'), content = here('content'), cache, pages = Number(process.env.DOCS_PAGES ?? 2000), redis = process.env.SHARD_REDIS
} = {}) {
  await generateSite(content, pages)
  const layout = here('layout.html')
  // The first start builds every page inside register(): on a slow or busy machine that takes
  // longer than the 10 s Fastify gives a plugin to load by default.
  const app = Fastify({ logger, pluginTimeout: 120_000 })
  await app.register(liveReload, {
    root: out,
    watch: [content, layout],
    builder: docsBuilder({ content, out, layout, cache, queue: redis === undefined ? undefined : { redis } })
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Docs site: http://localhost:${port}/index.html\n  Edit ${here('content')} and watch the page.\n`)
}
