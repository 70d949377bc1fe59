// Synchronized browsing: open the page in two windows, or on a laptop and a phone, and scroll,
// click or type in one. Run it with `npm run example:sync` from the repository root; with
// HOST=0.0.0.0 a phone on the same network can open it (the console prints the URLs to try).
import { networkInterfaces } from 'node:os'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'

const site = fileURLToPath(new URL('site', import.meta.url))

/** @param {{ logger?: import('fastify').FastifyServerOptions['logger'] }} [opts] */
export async function createApp (opts = {}) {
  const app = Fastify({ logger: opts.logger ?? { level: 'info' } })
  // Every kind is on with `sync: true`; here the sidebar's own scrolling is mirrored too.
  await app.register(liveReload, { root: site, sync: { scrollElements: ['#contents'] } })

  // A form's result page, so that a submit in one window shows the same answer in the others.
  app.post('/subscribe', async (request, reply) => {
    const form = new URLSearchParams(/** @type {string} */ (request.body))
    return await reply.type('text/html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><title>Subscribed</title><link rel="stylesheet" href="/site.css"></head>
<body><main><h1>Thanks, ${escape(form.get('name') ?? '')}</h1><p>Topics: ${escape(form.getAll('topic').join(', ') || 'none')}.</p>
<p><a href="/">Back</a> (or use the back button: the other windows come back too)</p></main></body></html>`)
  })
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body))
  return app
}

/** @param {string} text */
function escape (text) {
  return text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await createApp()
  const port = await listen(app)
  if (port === null) process.exitCode = 1
  else {
    const others = Object.values(networkInterfaces()).flat().filter(a => a !== undefined && !a.internal && a.family === 'IPv4')
    const urls = process.env.HOST === '0.0.0.0' ? others.map(a => `http://${a?.address}:${port}/`) : []
    console.log(`\n  Synchronized browsing demo: http://localhost:${port}/ (open it twice)${urls.map(url => `\n  On your network: ${url}`).join('')}\n`)
  }
}
