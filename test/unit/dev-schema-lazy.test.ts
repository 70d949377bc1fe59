// A boot whose every schema is restored (lib/dev/schema-cache.ts) loads no schema compiler: Ajv
// alone takes ~17 ms to load. Its own process (tap runs each file in one): nothing else here
// loads Ajv or fast-json-stringify, and what the compilers wrote comes from another process.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { cacheSchemas } from '../../lib/dev/schema-cache.js'

const require = createRequire(import.meta.url)
const FASTIFY = require.resolve('fastify')
/** The app's one route, here and (by its source) in the other process. */
const route = (fastify: FastifyInstance): unknown => fastify.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } }, response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } }, async request => request.params)

/** What a generation that compiled the route's schemas used, from a process of its own (the built module, as a child runs it). */
function compiledElsewhere (): Record<string, string> {
  const script = `import { cacheSchemas } from ${JSON.stringify(new URL('../../dist/dev/schema-cache.js', import.meta.url).href)}
const cache = cacheSchemas(${JSON.stringify(FASTIFY)})
const { default: Fastify } = await import(${JSON.stringify(FASTIFY)})
const app = Fastify({ logger: false }); (${String(route)})(app); await app.ready()
process.stdout.write(JSON.stringify(cache.used()))`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, string>
}

/** The modules loaded whose path matches `pattern`. */
const loaded = (pattern: RegExp): string[] => Object.keys(require.cache).filter(path => pattern.test(path))

t.test('every schema restored: neither compiler is loaded, and the route validates and serializes', async t => {
  const entries = compiledElsewhere()
  t.equal(Object.keys(entries).length, 2, 'a validator and a serializer')
  const cache = cacheSchemas(FASTIFY)
  cache.warm(entries)
  const app: FastifyInstance = Fastify({ logger: false })
  route(app)
  t.equal((await app.inject('/items/3')).body, '{"id":3}')
  t.equal((await app.inject('/items/x')).statusCode, 400)
  t.notOk(cache.hasCompiled())
  t.same(loaded(/[\\/]ajv[\\/]dist[\\/]ajv\.js$|[\\/]fast-json-stringify[\\/]index\.js$/), [], 'Ajv and fast-json-stringify never loaded')
  cache.loadCompilers() // a standby's
  t.not(loaded(/[\\/]ajv[\\/]dist[\\/]ajv\.js$/).length, 0, 'Ajv loaded when asked')
  t.not(loaded(/[\\/]fast-json-stringify[\\/]index\.js$/).length, 0, 'fast-json-stringify too')
  await app.close()
})
