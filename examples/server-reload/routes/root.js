import { visits } from '../visits.js'

/** @param {import('fastify').FastifyInstance} fastify */
export default async function root (fastify) {
  fastify.get('/', async (request, reply) => reply.type('text/html').send(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Server reload</title><link rel="stylesheet" href="/style.css"></head>
<body><main>
<h1>Served by version ${process.pid}</h1>
<p>Visits: ${++visits.count}, counted across reloads (<code>visits.js</code> keeps the count).</p>
<p>Edit <code>examples/server-reload/routes/root.js</code>: this page reloads with the new code.</p>
<p><a href="/greet/world">A route with a schema</a></p>
</main></body>
</html>`))
}
