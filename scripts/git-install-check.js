// What `npm install git+…` gives a consumer: the repository's last commit installed into an empty
// project (npm clones it and runs its `prepare`, which builds dist/), then imported and used: the
// plugin registered, the client script served, the test harness connected. Run by .ci/run after
// `npm test`; needs the npm registry (the consumer installs fastify and the package's own
// dependencies). Exits non-zero, saying where, when any step fails.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const project = mkdtempSync(join(tmpdir(), 'fastify-livereload-consumer-'))
const npm = (...args) => execFileSync('npm', args, { cwd: project, stdio: 'inherit' })

try {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }))
  npm('install', '--no-audit', '--no-fund', 'fastify@5', `git+${pathToFileURL(repo).href}`)
  writeFileSync(join(project, 'smoke.js'), `
    import Fastify from 'fastify'
    import liveReload from 'fastify-livereload'
    import { connectLiveReload } from 'fastify-livereload/testing'
    const app = Fastify()
    await app.register(liveReload, { root: import.meta.dirname })
    const client = await connectLiveReload(app)
    const script = await app.inject('/__livereload/client.js')
    if (client.hello.type !== 'hello' || script.statusCode !== 200) throw new Error('the installed package does not serve its channel')
    await client.close()
    await app.close()
  `)
  execFileSync(process.execPath, ['smoke.js'], { cwd: project, stdio: 'inherit' })
  console.log('git install check: installed from git, imported, registered and connected')
} finally {
  rmSync(project, { recursive: true, force: true })
}
