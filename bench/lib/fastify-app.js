// The bench's Fastify app, as fastify-cli generates them: written into a directory by writeApp(dir,
// lang), for lang 'js' or 'ts'. `export default async function app (fastify, opts)` and `export
// const options`, 50 routes each in a file of their own under routes/, registered from app.js; 25
// of them carry JSON schemas for params, querystring and response. Three are the bench's own: GET
// /version answers a marker string that a bench edits (versionSource), GET /slow answers after
// SLOW_MS, GET /ping answers a small JSON object with the pid and the port of the process that
// answered. The TypeScript copy is the same app in .ts files with types; the JavaScript one has a
// server.js too, a standalone server of app.js on $PORT (for `node --watch`). Its node_modules
// links fastify (bench/node_modules, the copy fastify-cli runs) and tsx (the root's).
// Used by dev-reload.js and dev-start.js.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const path = relative => fileURLToPath(new URL(relative, import.meta.url))

/** GET /slow answers after this long (ms). */
export const SLOW_MS = 200
const ROUTES = 50
const SCHEMA = `{
  params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
  querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 } } },
  response: { 200: { type: 'object', properties: { route: { type: 'integer' }, id: { type: 'integer' }, limit: { type: 'integer' } }, required: ['route', 'id', 'limit'] } }
}`
const TS_HEAD = "import type { FastifyInstance } from 'fastify'\n\n"
const sig = (name, ts) => ts ? `export default async function ${name} (fastify: FastifyInstance): Promise<void> {` : `export default async function ${name} (fastify) {`
/** The source of routes/version.<lang>, answering `marker`; `broken`: a file that does not parse. */
export const versionSource = (lang, marker, broken = false) => {
  const ts = lang === 'ts'
  const body = `  fastify.get('/version', async ()${ts ? ': Promise<string>' : ''} => '${marker}')\n`
  // broken: the call and the function left open, a syntax error at the end of the file
  return `${ts ? TS_HEAD : ''}${sig('version', ts)}\n${broken ? body.replace(/\)\n$/, '\n') : `${body}}\n`}`
}
const routeFiles = lang => {
  const ts = lang === 'ts'
  const files = {}
  const generic = ROUTES - 3
  for (let i = 0; i < generic; i++) {
    const name = `r${String(i).padStart(2, '0')}`
    // 24 of the 47 with schemas, and /ping: 25 of 50
    files[name] = i % 2 === 0
      ? `${ts ? `${TS_HEAD}interface Params { id: number }\ninterface Query { limit?: number }\n\n` : ''}const schema = ${SCHEMA}\n\n${sig(name, ts)}\n` +
        `  fastify.get${ts ? '<{ Params: Params, Querystring: Query }>' : ''}('/items/${i}/:id', { schema }, async (request) => ({ route: ${i}, id: request.params.id, limit: request.query.limit ?? 10 }))\n}\n`
      : `${ts ? TS_HEAD : ''}${sig(name, ts)}\n  fastify.get('/plain/${i}', async () => ({ route: ${i}, text: 'route ${i} has no schema' }))\n}\n`
  }
  files.ping = `${ts ? TS_HEAD : ''}const schema = { response: { 200: { type: 'object', properties: { pid: { type: 'integer' }, port: { type: 'integer' } }, required: ['pid', 'port'] } } }\n\n${sig('ping', ts)}\n` +
    `  fastify.get('/ping', { schema }, async (request) => ({ pid: process.pid, port: ${ts ? '(request.server.server.address() as { port: number })' : 'request.server.server.address()'}.port }))\n}\n`
  files.slow = `${ts ? TS_HEAD : ''}${sig('slow', ts)}\n  fastify.get('/slow', async () => {\n    await new Promise(resolve => setTimeout(resolve, ${SLOW_MS}))\n    return { slow: true }\n  })\n}\n`
  files.version = versionSource(lang, 'start')
  return files
}
/** Writes the app into `dir` (made); returns where its entry and its version route are. */
export function writeApp (dir, lang) {
  const ts = lang === 'ts'
  mkdirSync(join(dir, 'routes'), { recursive: true })
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(path('../node_modules/fastify'), join(dir, 'node_modules/fastify'), 'dir')
  symlinkSync(path('../../node_modules/tsx'), join(dir, 'node_modules/tsx'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `dev-reload-${lang}`, private: true, type: 'module' }, null, 2) + '\n')
  const files = routeFiles(lang)
  for (const [file, source] of Object.entries(files)) writeFileSync(join(dir, 'routes', `${file}.${lang}`), source)
  const names = Object.keys(files)
  writeFileSync(join(dir, `app.${lang}`), [
    ts ? "import type { FastifyInstance, FastifyPluginOptions } from 'fastify'" : '',
    ...names.map(file => `import ${file} from './routes/${file}.js'`),
    '',
    '/** Given to Fastify by fastify-cli (--options) and the dev server. */',
    'export const options = { bodyLimit: 512 * 1024 }',
    '',
    ts ? 'export default async function app (fastify: FastifyInstance, opts: FastifyPluginOptions): Promise<void> {' : 'export default async function app (fastify, opts) {',
    ...names.map(file => `  await fastify.register(${file}, opts)`),
    '}',
    ''
  ].filter((line, i) => i > 0 || line !== '').join('\n'))
  if (!ts) {
    writeFileSync(join(dir, 'server.js'), [
      "import Fastify from 'fastify'",
      "import app, { options } from './app.js'",
      '',
      'const fastify = Fastify(options)',
      'await fastify.register(app)',
      "await fastify.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })",
      ''
    ].join('\n'))
  }
  return { dir, entry: join(dir, `app.${lang}`), versionFile: join(dir, 'routes', `version.${lang}`), lang }
}
