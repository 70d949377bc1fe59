// The dev server's schema cache (lib/dev/schema-cache.ts): what one generation compiled, the next
// restores, answering exactly as Fastify's own compilers do; a changed schema is compiled afresh.
// Each cacheSchemas() below stands for a new generation's process (a fresh cache, warmed with what
// the one before used).
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { cacheSchemas, type SchemaEntries } from '../../lib/dev/schema-cache.js'

const FASTIFY = createRequire(import.meta.url).resolve('fastify')

/** An app with every kind of schema: params, querystring, body, headers (mixed case), a shared $ref, and a response. */
function app (maximum = 100, ajv?: { plugins: unknown[] }): FastifyInstance {
  const fastify = Fastify({ logger: false, ...(ajv === undefined ? {} : { ajv: ajv as never }) })
  fastify.addSchema({ $id: 'tag', type: 'object', properties: { label: { type: 'string' } }, required: ['label'] })
  fastify.post('/items/:id', {
    schema: {
      params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum, default: 10 } } },
      headers: { type: 'object', properties: { 'X-Token': { type: 'string', minLength: 3 } }, required: ['X-Token'] },
      body: { type: 'object', properties: { name: { type: 'string' }, tag: { $ref: 'tag#' } }, required: ['name'] },
      response: { 200: { type: 'object', properties: { id: { type: 'integer' }, limit: { type: 'integer' }, name: { type: 'string' }, tag: { $ref: 'tag#' } } } }
    }
  }, async request => ({ ...(request.body as object), ...(request.params as object), ...(request.query as object), secret: 'not in the schema' }))
  return fastify
}

/** The answers of `fastify` to good and bad requests of every part. */
async function answers (fastify: FastifyInstance): Promise<string[]> {
  const post = async (url: string, body: unknown, headers: Record<string, string> = { 'x-token': 'abcd' }): Promise<string> => {
    const res = await fastify.inject({ method: 'POST', url, payload: body as object, headers })
    return `${res.statusCode} ${res.body}`
  }
  const all = [
    await post('/items/5', { name: 'a', tag: { label: 'x' } }),
    await post('/items/5?limit=7', { name: 'a' }),
    await post('/items/five', { name: 'a' }),
    await post('/items/5?limit=1000', { name: 'a' }),
    await post('/items/5', { name: 'a' }, {}),
    await post('/items/5', { name: 'a' }, { 'x-token': 'ab' }),
    await post('/items/5', { tag: { label: 'x' } }),
    await post('/items/5', { name: 'a', tag: {} })
  ]
  await fastify.close()
  return all
}

t.test('the next generation restores what the first compiled, and answers every request the same', async t => {
  const first = cacheSchemas(FASTIFY)
  const expected = await answers(app())
  t.match(expected[0], /^200 \{"id":5,"limit":10,"name":"a","tag":\{"label":"x"\}\}$/, 'defaults applied, the shared schema, the extra property left out')
  t.match(expected[4], /^400 .*headers must have required property 'x-token'/, 'a mixed-case header schema, lowercased as Fastify does with its own compiler')
  const entries = first.used()
  t.equal(Object.keys(entries).filter(key => key.startsWith('v')).length, 4, 'params, querystring, headers and body validators')
  t.equal(Object.keys(entries).filter(key => key.startsWith('s')).length, 1, 'the response serializer')

  const next = cacheSchemas(FASTIFY)
  next.warm(entries)
  t.same(await answers(app()), expected)
  t.same(Object.keys(next.used()).sort(), Object.keys(entries).sort(), 'every schema restored, none compiled anew')
  t.ok(first.hasCompiled(), 'the first compiled: what it used is for the next start too (schema-store.ts)')
  t.notOk(next.hasCompiled(), 'the next compiled nothing')
  t.match(next.compilers, /^@fastify\/ajv-compiler@\d+\.\d+\.\d+ ajv@\d+\.\d+\.\d+ @fastify\/fast-json-stringify-compiler@\d+\.\d+\.\d+ fast-json-stringify@\d+\.\d+\.\d+$/, 'the versions its code is for')
})

t.test('what answers is the restored code', async t => {
  const first = cacheSchemas(FASTIFY)
  await answers(app())
  const entries: SchemaEntries = Object.fromEntries(Object.entries(first.used()).map(([key, code]) => [key, key.startsWith('s') ? code.replaceAll('\\"name\\":', '\\"NAME\\":') : code]))
  const next = cacheSchemas(FASTIFY)
  next.warm(entries)
  t.match((await answers(app()))[1], /^200 \{"id":5,"limit":7,"NAME":"a"\}$/, 'the altered serializer answered')
})

t.test('a schema that changed is compiled afresh; the others are restored', async t => {
  const first = cacheSchemas(FASTIFY)
  await answers(app())
  const entries = first.used()
  const next = cacheSchemas(FASTIFY)
  next.warm(entries)
  const changed = await answers(app(5))
  t.match(changed[1], /^400 .*querystring\/limit must be <= 5/, 'the new maximum holds')
  const keys = Object.keys(next.used())
  t.equal(keys.filter(key => !(key in entries)).length, 1, 'one validator compiled: the querystring\'s')
  t.equal(keys.filter(key => key in entries).length, 4, 'the other four restored')
})

t.test('a keyword Ajv cannot write out as code is compiled every time, and still validates', async t => {
  const even = (ajv: { addKeyword: (definition: object) => void }): void => {
    ajv.addKeyword({ keyword: 'even', type: 'number', validate: (_schema: unknown, data: number) => data % 2 === 0 })
  }
  const make = (): FastifyInstance => {
    const fastify = Fastify({ logger: false, ajv: { plugins: [even] } as never })
    fastify.get('/n/:n', { schema: { params: { type: 'object', properties: { n: { type: 'integer', even: true } } } } }, async request => request.params)
    return fastify
  }
  for (let generation = 0; generation < 2; generation++) {
    const cache = cacheSchemas(FASTIFY)
    const fastify = make()
    t.equal((await fastify.inject('/n/4')).statusCode, 200)
    t.equal((await fastify.inject('/n/3')).statusCode, 400)
    await fastify.close()
    t.same(cache.used(), {}, 'nothing kept')
  }
})

t.test('formats: Ajv\'s code for one does not stand alone, so it is compiled every time; a pattern\'s is kept, and known by its source', async t => {
  const make = (code: RegExp): FastifyInstance => {
    const fastify = Fastify({ logger: false, ajv: { customOptions: { formats: { even: (value: string) => Number(value) % 2 === 0, code } } } as never })
    for (const format of ['even', 'date', 'code']) fastify.get(`/${format}/:id`, { schema: { params: { type: 'object', properties: { id: { type: 'string', format } } } } }, async request => request.params)
    return fastify
  }
  const answersOf = async (fastify: FastifyInstance): Promise<number[]> => {
    const all = []
    for (const url of ['/even/4', '/even/3', '/date/2026-11-30', '/date/soon', '/code/abc', '/code/123']) all.push((await fastify.inject(url)).statusCode)
    await fastify.close()
    return all
  }
  let entries: SchemaEntries = {}
  for (let generation = 0; generation < 2; generation++) {
    const cache = cacheSchemas(FASTIFY)
    cache.warm(entries)
    t.same(await answersOf(make(/^[a-z]+$/)), [200, 400, 200, 400, 200, 400], `generation ${generation + 1}: every format holds`)
    entries = cache.used()
    t.equal(Object.keys(entries).length, 1, 'the pattern\'s validator kept, not the others')
  }
  const changed = cacheSchemas(FASTIFY)
  changed.warm(entries)
  t.same((await answersOf(make(/^[0-9]+$/))).slice(4), [400, 200], 'another pattern: compiled afresh')
})

t.test('the compilers\' packages, to anyone but Fastify\'s schema controller, are as they are: their other exports, their standalone mode', async t => {
  cacheSchemas(FASTIFY)
  const fromFastify = createRequire(FASTIFY)
  const ajvCompiler = fromFastify('@fastify/ajv-compiler') as Record<string, unknown>
  t.equal(typeof ajvCompiler.StandaloneValidator, 'function')
  t.ok(Object.keys(ajvCompiler).includes('AjvReference'))
  const imported = await import(pathToFileURL(fromFastify.resolve('@fastify/fast-json-stringify-compiler')).href) as Record<string, unknown>
  t.equal(typeof imported.StandaloneSerializer, 'function', 'a named export of an ES module\'s import')
  // An app that writes its own standalone validators (Fastify's precompiled schemas), as without the dev server.
  const stored: string[] = []
  const StandaloneValidator = fromFastify('@fastify/ajv-compiler/standalone') as (options: object) => unknown
  const fastify = Fastify({ logger: false, schemaController: { compilersFactory: { buildValidator: StandaloneValidator({ readMode: false, storeFunction: (_route: unknown, code: string) => { stored.push(code) } }) } } as never })
  fastify.get('/n/:n', { schema: { params: { type: 'object', properties: { n: { type: 'integer' } } } } }, async request => request.params)
  t.equal((await fastify.inject('/n/4')).body, '{"n":4}')
  t.equal((await fastify.inject('/n/x')).statusCode, 400)
  t.not(stored.length, 0, 'its storeFunction given the code')
  await fastify.close()
})

t.test('a serializer whose options hold what JSON cannot (a format\'s RegExp for anyOf) is compiled every time, and answers', async t => {
  for (let generation = 0; generation < 2; generation++) {
    const cache = cacheSchemas(FASTIFY)
    const fastify = Fastify({ logger: false, serializerOpts: { ajv: { formats: { digits: /^[0-9]+$/ } } } as never })
    fastify.get('/v', { schema: { response: { 200: { type: 'object', properties: { v: { anyOf: [{ type: 'string', format: 'digits' }, { type: 'boolean' }] } } } } } }, async () => ({ v: '12' }))
    const res = await fastify.inject('/v')
    t.equal(`${res.statusCode} ${res.body}`, '200 {"v":"12"}', `generation ${generation + 1}`)
    await fastify.close()
    t.same(cache.used(), {}, 'nothing kept')
  }
})
