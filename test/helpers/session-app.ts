import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Files } from './fixture.js'

/** fastify-livereload/keep as an app imports it (a fixture is no package of ours: by its built file). */
export const KEEP = pathToFileURL(fileURLToPath(new URL('../../dist/dev/keep.js', import.meta.url))).href

/**
 * routes/root.js of an app with in-memory sessions that it keeps across the dev server's reloads:
 * /login starts one (a cookie) and redirects to /, whose page says `version` in its h1 and who
 * is logged in (`nobody`) in its p.
 */
export const sessionRoute = (version: string): string => `import { keep } from '${KEEP}'
const sessions = new Map()
keep('sessions', { save: () => sessions, restore: saved => { for (const [id, user] of saved) sessions.set(id, user) } })
export default async function (fastify) {
  fastify.get('/login', async (request, reply) => {
    const id = String(Math.random()).slice(2)
    sessions.set(id, 'ada')
    return reply.header('set-cookie', 'sid=' + id + '; Path=/').redirect('/')
  })
  fastify.get('/', async (request, reply) => {
    const user = sessions.get(/sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1]) ?? 'nobody'
    return reply.type('text/html').send('<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body><h1>${version}</h1><p>' + user + '</p></body></html>')
  })
}
`

/** The app's files, its route at `version`. */
export const sessionApp = (version: string): Files => ({
  'package.json': '{ "type": "module" }',
  'app.js': "import root from './routes/root.js'\nexport default async function app (fastify) { fastify.register(root) }\n",
  routes: { 'root.js': sessionRoute(version) }
})
