/** @param {import('fastify').FastifyInstance} fastify */
export default async function greet (fastify) {
  fastify.get('/:name', {
    schema: { params: { type: 'object', properties: { name: { type: 'string', minLength: 1 } } } }
  }, async (request, reply) => reply.type('text/html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title><link rel="stylesheet" href="/style.css"></head>
<body><main><h1>Hello, ${escape(request.params.name)}</h1><p><a href="/">Back</a></p></main></body></html>`))
}

/** @param {string} text */
function escape (text) {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}
