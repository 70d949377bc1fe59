// What the tests run beside Node: Debian's chromium, driven through playwright-core (never a
// browser download), and python3, whose http.server the command's proxy mode is tested against.
// Installs what is missing with apt-get when we may; otherwise says how.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasPython = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const missing = [
  ...(existsSync(chromium) ? [] : [{ pkg: 'chromium', hint: `Chromium not found at ${chromium}. Install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH.` }]),
  ...(hasPython ? [] : [{ pkg: 'python3', hint: 'python3 not found. Install it (Debian: sudo apt-get install python3).' }])
]
if (missing.length > 0) {
  const mayInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!mayInstall) {
    for (const { hint } of missing) console.error(hint)
    process.exit(1)
  }
  const packages = missing.map(({ pkg }) => pkg)
  console.log(`Installing ${packages.join(' and ')} for the tests…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
}
