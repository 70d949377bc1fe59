// A static site served with live reload, next to one route of the app's own.
// Run it with `npm start` from the repository root, open the URL it prints, then edit a file
// under site/: a page edit reloads the browser, a stylesheet edit swaps the styles in place.
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'

const site = fileURLToPath(new URL('site', import.meta.url))

/** @param {{ logger?: import('fastify').FastifyServerOptions['logger'] }} [opts] */
export async function createApp (opts = {}) {
  const app = Fastify({ logger: opts.logger ?? { level: 'info' } })
  await app.register(liveReload, { root: site })

  // The app's own HTML gets the client too: no template changes needed.
  app.get('/hello', (request, reply) => {
    reply.type('text/html').send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello</title><link rel="stylesheet" href="/css/site.css"></head>
<body><main><h1>Hello from a route</h1><p>Rendered at ${new Date().toISOString()}.</p>
<p><a href="/">Back to the site</a></p></main></body>
</html>`)
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else console.log(`\n  Live reload demo: http://localhost:${port}/\n  Edit ${site}/index.html or css/site.css and watch the page.\n`)
}
