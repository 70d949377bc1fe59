// The plugin's Prometheus metrics on the app's own /metrics route (docs/metrics.md). Serves the
// basic example's site; open the URL it prints in a tab or two, edit a file under
// examples/basic/site/, then look at /metrics: clients by transport, messages by type, and how
// long after the save each message went out. Needs prom-client (`npm install prom-client`).
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { register } from 'prom-client'
import { listen } from '../listen.js'

const site = fileURLToPath(new URL('../basic/site', import.meta.url))

/** @param {{ logger?: import('fastify').FastifyServerOptions['logger'] }} [opts] */
export async function createApp (opts = {}) {
  const app = Fastify({ logger: opts.logger ?? { level: 'info' } })
  // true: prom-client's default registry, the one this route (or fastify-metrics with
  // `promClient`) serves.
  await app.register(liveReload, { root: site, metrics: true })
  app.get('/metrics', async (_request, reply) => {
    return await reply.type(register.contentType).send(await register.metrics())
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Live reload with metrics: http://localhost:${port}/ and http://localhost:${port}/metrics\n  Edit ${site}/index.html, then reload /metrics.\n`)
}
