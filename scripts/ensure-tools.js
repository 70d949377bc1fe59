// What the tests run beside Node: Debian's chromium-headless-shell (or the full chromium, which
// the Node 24 lane runs: CHROMIUM_PATH), driven through playwright-core (never a browser
// download); python3, whose http.server the command's proxy mode is tested against; mkcert,
// which the command's --https uses where it is installed (the tests keep its CA in a temp
// directory); and redis-server, which the cluster and shard-queue tests start on a free port.
// Installs what is missing with apt-get when we may; otherwise says how.
import { execFileSync } from 'node:child_process'
import { installMissing, missingChromium } from './install-missing.js'

/** Whether `command args` runs: it is on PATH. */
const runs = (command, args) => {
  try {
    execFileSync(command, args, { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const missing = [
  ...missingChromium(),
  ...(runs('python3', ['--version']) ? [] : [{ pkg: 'python3', hint: 'python3 not found. Install it (Debian: sudo apt-get install python3).' }]),
  ...(runs('mkcert', ['-version']) ? [] : [{ pkg: 'mkcert', hint: 'mkcert not found. Install it (Debian: sudo apt-get install mkcert; macOS: brew install mkcert).' }]),
  ...(runs('redis-server', ['--version']) ? [] : [{ pkg: 'redis-server', hint: 'redis-server not found. Install it (Debian: sudo apt-get install redis-server; macOS: brew install redis).' }])
]
installMissing(missing, 'the tests')
