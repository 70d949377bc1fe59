// What `npx fastify-livereload` gives someone with nothing but Node and npm: the packed tarball
// (what `npm publish` would upload) run through npx in an empty directory, with the registry for
// its dependencies. The command must print its version, then serve a directory: its URL printed,
// the page served with the client in it, and Ctrl-C answered with exit code 0. Run by .ci/run
// after `npm test`. Exits non-zero, saying where, when any step fails.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), 'fastify-livereload-npx-'))
/** Bounds each step: a hung install or server fails the check instead of CI. */
const STEP_MS = 180_000

try {
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
  const tarball = join(scratch, filename)
  const empty = join(scratch, 'empty')
  mkdirSync(join(empty, 'site'), { recursive: true })
  writeFileSync(join(empty, 'site', 'index.html'), '<!doctype html><html><head><title>x</title></head><body>x</body></html>')
  const npx = ['--yes', '--package', tarball, 'fastify-livereload']
  const env = { ...process.env, npm_config_cache: join(scratch, 'npm-cache'), NO_COLOR: '1', CI: '1' }

  const version = execFileSync('npx', [...npx, '--version'], { cwd: empty, env, encoding: 'utf8', timeout: STEP_MS }).trim()
  const expected = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version
  if (version !== expected) throw new Error(`npx fastify-livereload --version printed "${version}", not ${expected}`)

  const server = spawn('npx', [...npx, 'site', '--port', '0'], { cwd: empty, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true })
  const timer = setTimeout(() => { process.kill(-server.pid, 'SIGKILL') }, STEP_MS)
  let printed = ''
  server.stdout.setEncoding('utf8').on('data', chunk => { printed += chunk })
  await new Promise((resolve, reject) => {
    server.stdout.on('data', () => { if (/with live reload at http:\/\/\S+\n/.test(printed)) resolve() })
    server.once('exit', code => reject(new Error(`the command exited (${code}) before listening:\n${printed}`)))
  })
  const url = /with live reload at (http:\/\/\S+)/.exec(printed)?.[1]
  if (url === undefined) throw new Error(`the command printed no URL:\n${printed}`)
  const page = await (await fetch(`${url}/`)).text()
  if (!page.includes('/__livereload/client.js')) throw new Error(`the page has no client:\n${page}`)
  // npx dies of the signal itself, as in a terminal; 'close' waits for the command's output too
  const closed = once(server, 'close')
  process.kill(-server.pid, 'SIGINT') // what Ctrl-C sends: the whole foreground group, npx and the command
  await closed
  clearTimeout(timer)
  if (!printed.includes('stopping')) throw new Error(`Ctrl-C: the command did not stop:\n${printed}`)
  if (await isGroupAlive(-server.pid)) throw new Error('Ctrl-C: processes of the command are still running')
  console.log(`pack check: npx ran ${filename} from an empty directory (version ${version}), served a page with the client, stopped on Ctrl-C leaving no process`)
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

/** Whether any process of the group is still running 2 s from now (looked at every 50 ms). */
async function isGroupAlive (group) {
  for (let i = 0; i < 40; i++) {
    try {
      process.kill(group, 0)
    } catch {
      return false
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return true
}
