// How the examples listen: on PORT (default 3000) and HOST (default 127.0.0.1) from the
// environment. A port that is taken is said in one line, with what to do, instead of a stack.

/**
 * Listens; resolves with the port bound, or null (after saying why, and closing the app) when
 * the port is in use.
 * @param {import('fastify').FastifyInstance} app
 * @param {Record<string, string | undefined>} [env]
 * @param {(line: string) => void} [say]
 * @returns {Promise<number | null>}
 */
export async function listen (app, env = process.env, say = line => console.error(line)) {
  const port = Number(env.PORT ?? 3000)
  const host = env.HOST ?? '127.0.0.1'
  try {
    await app.listen({ port, host })
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EADDRINUSE') throw err
    await app.close()
    say(`\n  Port ${port} on ${host} is in use (another copy of this example?). Choose another: PORT=${port + 1}, or PORT=0 for any free port.\n`)
    return null
  }
  const address = app.server.address()
  return typeof address === 'object' && address !== null ? address.port : port
}
