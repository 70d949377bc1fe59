// The dev server for app.js: one port that stays up, the app restarted in a child process when
// its code changes, public/ served beside it (a stylesheet edit is swapped in place, no restart).
// Run it with `npm run example:server` from the repository root, open the URL it prints.
import { fileURLToPath } from 'node:url'
import { dev } from 'fastify-livereload/dev'

const server = await dev({
  entry: fileURLToPath(new URL('app.js', import.meta.url)),
  root: fileURLToPath(new URL('public', import.meta.url)),
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1'
})
console.log(`\n  The app, reloaded on code changes: ${server.url}/\n`)
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => { server.close().then(() => process.exit(0), () => process.exit(1)) })
