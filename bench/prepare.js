// Before `npm run bench`: the bench's own dependencies (the alternatives, autocannon) and a
// build of the library that is not older than its sources.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

function run (args, what) {
  console.error(`bench: ${what}`)
  const result = spawnSync(npm, args, { cwd: repo, stdio: 'inherit', timeout: 600_000 })
  if (result.status !== 0) {
    console.error(`bench: ${what} failed (${result.error?.message ?? `exit ${result.status}`})`)
    process.exit(1)
  }
}

function newest (dir) {
  let latest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }
  return latest
}

if (!existsSync(join(repo, 'node_modules/fastify'))) {
  console.error('bench: run `npm ci` in the repository first (the bench uses its devDependencies)')
  process.exit(1)
}
if (!existsSync(join(repo, 'bench/node_modules/.package-lock.json'))) run(['--prefix', 'bench', 'ci', '--no-audit', '--no-fund'], 'installing bench/ dependencies')
const built = join(repo, 'dist/index.js')
if (!existsSync(built) || !existsSync(join(repo, 'dist/client.js')) || statSync(built).mtimeMs < newest(join(repo, 'lib'))) run(['run', 'build'], 'building the library')
