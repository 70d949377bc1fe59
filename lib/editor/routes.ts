// The editor's routes under `path`: `GET {path}/editor.js`, the browser module that makes places
// links, `GET {path}/editor`, which gives a page of this server the token, and `POST
// {path}/open-in-editor`, which opens a file of the project at a line (docs/security.md). Behind
// the channel's Origin/Host guard, for requests from this machine only. Every refusal is JSON:
// `{ statusCode, code, message }`.
import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { builtFile } from '../built.js'
import { channelPolicy, guard } from '../channel/guard.js'
import { serveScript } from '../channel/script-route.js'
import type { ResolvedOptions } from '../options.js'
import { displayPath } from '../paths.js'
import type { EditorAccess } from './access.js'
import { openInEditor } from './launch.js'
import { isRefusal, readOpenRequest, refusal, type EditorRefusal } from './open-request.js'
import { projectFile } from './project-file.js'
import { isThisMachine } from './this-machine.js'

export interface EditorRoutesOptions {
  options: ResolvedOptions
  access: EditorAccess
}

/** A body is a few fields: past this, Fastify answers 413 before reading more. */
const BODY_LIMIT = 16 * 1024

export const editorRoutes: FastifyPluginAsync<EditorRoutesOptions> = async (fastify, { options, access }) => {
  const policy = channelPolicy(options)
  fastify.addHook('onRequest', async (request, reply) => {
    const refused = guard(request.headers, policy)
    const why = refused !== null
      ? refusal(refused.code, refused.reason, refused.status)
      : isThisMachine(request.socket.remoteAddress) ? null : refusal('not-local', 'the editor opens on the machine the server runs on: only a page opened there may open it')
    if (why !== null) return await refuse(reply, why)
  })

  serveScript(fastify, `${options.path}/editor.js`, async () => await readFile(builtFile('client-editor.js')), { 'cross-origin-resource-policy': 'same-origin' })

  // Read only by the page's own origin: no CORS header lets another site's script read it, and
  // the guard refuses a rebinding Host and a cross-site <script> include.
  fastify.get(`${options.path}/editor`, { exposeHeadRoute: false }, async (_request, reply) => {
    reply.headers({ 'cache-control': 'no-store', 'cross-origin-resource-policy': 'same-origin', 'x-content-type-options': 'nosniff' })
    return await reply.send({ token: access.token })
  })

  // POST with a JSON body: never prefetched nor followed by a link preview, an <img> or a
  // navigation, and a cross-origin page cannot send one without a preflight, which is never granted.
  fastify.post(`${options.path}/open-in-editor`, { bodyLimit: BODY_LIMIT }, async (request, reply) => {
    const asked = readOpenRequest(request.body, access.token)
    if (isRefusal(asked)) return await refuse(reply, asked)
    const file = await projectFile(asked.file, access.project, access.isNamed)
    if (isRefusal(file)) return await refuse(reply, file)
    const failed = await openInEditor(file, asked.line, asked.column ?? 1, request.log)
    if (failed !== null) return await refuse(reply, failed)
    request.log.info({ file: displayPath(file), line: asked.line }, 'opened in the editor')
    return await reply.code(204).send()
  })
}

async function refuse (reply: FastifyReply, { status, code, message }: EditorRefusal): Promise<FastifyReply> {
  reply.log.debug({ code, reason: message }, 'open in editor refused')
  return await reply.code(status).header('cache-control', 'no-store').send({ statusCode: status, code, message })
}
