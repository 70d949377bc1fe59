// The browser tests drive Debian's chromium through playwright-core (never a browser download).
// Installs it with apt-get when it is missing and we may; otherwise says how.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!existsSync(path)) {
  const mayInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!mayInstall) {
    console.error(`Chromium not found at ${path}. Install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH.`)
    process.exit(1)
  }
  console.log('Installing Debian chromium for the browser tests…')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env })
}
