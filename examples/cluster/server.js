// Four processes on one port (node:cluster), one Redis: one of them, the leader, watches
// src/ and builds; every browser reloads once per edit, whichever process it is connected to.
// Start a Redis first (`redis-server`, or `docker run --rm -p 6379:6379 redis`), then run
// `npm run example:cluster` from the repository root (REDIS_URL names another Redis; WORKERS
// another count). Kill the leader (`kill -9 <pid>`, its pid is in the status) and edit again:
// another worker takes over within about 3.5 s and builds.
import cluster from 'node:cluster'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Fastify from 'fastify'
import liveReload from 'fastify-livereload'
import { listen } from '../listen.js'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))

/**
 * One process of the cluster. Every process passes the same options: which one builds is
 * decided through Redis, not here.
 * @param {{ logger?: import('fastify').FastifyServerOptions['logger'], redis?: string, out?: string }} [options]
 */
export async function createApp ({ logger = { level: 'info' }, redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', out = here('dist') } = {}) {
  const app = Fastify({ logger })
  const src = here('src')
  await app.register(liveReload, {
    root: out,
    watch: [src],
    cluster: { redis },
    async builder ({ signal }) {
      const page = await readFile(join(src, 'page.html'), { encoding: 'utf8', signal })
      await mkdir(out, { recursive: true })
      await writeFile(join(out, 'index.html'), page.replace('{{builtBy}}', String(process.pid)).replace('{{builtAt}}', new Date().toISOString()), { signal })
      return { outputs: [join(out, 'index.html')], reload: 'page' }
    }
  })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (cluster.isPrimary) {
    const workers = Number(process.env.WORKERS ?? 4)
    for (let i = 0; i < workers; i++) cluster.fork()
    cluster.on('exit', (worker, code, signal) => console.log(`  worker ${worker.process.pid} exited (${signal ?? code})`))
  } else {
    const app = await createApp()
    const port = await listen(app) // node:cluster shares the port among the workers
    if (port === null) process.exitCode = 1
    else if (cluster.worker?.id === 1) console.log(`\n  Cluster demo: http://localhost:${port}/ (open it in a few tabs)\n  Edit ${here('src/page.html')} and watch them.\n`)
  }
}
