// A Fastify app in the shape fastify-cli generates: a plugin as the default export, and the
// server's options as `options`. `npm run example:server` runs it with the dev server
// (server.js): edit routes/root.js or routes/greet.js and the browser reloads with the new code;
// break a file and the error shows over the page while the last good version keeps serving.
import greet from './routes/greet.js'
import root from './routes/root.js'

/** @param {import('fastify').FastifyInstance} fastify */
export default async function app (fastify) {
  fastify.register(root)
  fastify.register(greet, { prefix: '/greet' })
}

/** Given to Fastify() as fastify-cli gives it. */
export const options = { logger: { level: 'info' } }
