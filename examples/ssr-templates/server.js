// Pages rendered by the app itself with @fastify/view and Eta; no build step. Watching the
// views directory reloads the browser after a template edit.
// Run it with `npm run example:templates` from the repository root.
import { fileURLToPath } from 'node:url'
import fastifyView from '@fastify/view'
import { Eta } from 'eta'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'

const views = fileURLToPath(new URL('views', import.meta.url))

/** @param {{ logger?: import('fastify').FastifyServerOptions['logger'] }} [options] */
export async function createApp ({ logger = { level: 'info' } } = {}) {
  const app = Fastify({ logger })
  await app.register(fastifyView, { engine: { eta: new Eta({ views, cache: false }) }, templates: views })
  await app.register(liveReload, { watch: views })

  app.get('/', (request, reply) => reply.view('index.eta', { name: request.query.name ?? 'world', now: new Date() }))
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Templates: http://localhost:${port}/\n  Edit ${views}/index.eta and watch the page.\n`)
}
