// A boot whose every schema is restored (lib/dev/schema-cache.ts) loads no schema compiler: Ajv
// alone takes ~17 ms to load. In processes of their own, as a version's child runs the built
// module (the test's own process shares its modules with other tests): one compiles the route's
// schemas, the next restores them, answers, and says which modules it loaded.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import type { FastifyInstance } from 'fastify'
import t from 'tap'

const FASTIFY = createRequire(import.meta.url).resolve('fastify')
const SCHEMA_CACHE = new URL('../../dist/dev/schema-cache.js', import.meta.url).href

/** The app's one route, by its source in each process. */
const route = (fastify: FastifyInstance): unknown => fastify.get('/items/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } }, response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } }, async request => request.params)

/** Runs `body` in a new Node process with `cache` (a cacheSchemas() warmed with `entries`) and `app` (the route on Fastify), and parses what it prints. */
function inProcess (entries: Record<string, string>, body: string): unknown {
  const script = `import { createRequire } from 'node:module'
import { cacheSchemas } from ${JSON.stringify(SCHEMA_CACHE)}
const cache = cacheSchemas(${JSON.stringify(FASTIFY)})
cache.warm(${JSON.stringify(entries)})
const { default: Fastify } = await import(${JSON.stringify(FASTIFY)})
const app = Fastify({ logger: false }); (${String(route)})(app)
const loaded = pattern => Object.keys(createRequire(${JSON.stringify(FASTIFY)}).cache).filter(path => pattern.test(path))
${body}`
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }))
}

const COMPILERS = /[\\/]ajv[\\/]dist[\\/]ajv\.js$|[\\/]fast-json-stringify[\\/]index\.js$/

t.test('every schema restored: neither compiler is loaded, and the route validates and serializes; a standby loads them when asked', async t => {
  const entries = inProcess({}, 'await app.ready(); process.stdout.write(JSON.stringify(cache.used()))') as Record<string, string>
  t.equal(Object.keys(entries).length, 2, 'a validator and a serializer')
  const restored = inProcess(entries, `const answers = [(await app.inject('/items/3')).body, (await app.inject('/items/x')).statusCode]
process.stdout.write(JSON.stringify({ answers, compiled: cache.hasCompiled(), loaded: loaded(${String(COMPILERS)}) }))`)
  t.same(restored, { answers: ['{"id":3}', 400], compiled: false, loaded: [] }, 'answered by the restored code, no compiler loaded')
  const asked = inProcess(entries, `cache.loadCompilers(); process.stdout.write(JSON.stringify(loaded(${String(COMPILERS)}).length > 0))`)
  t.equal(asked, true, 'loaded when asked')
})
