// What the Firefox lane (npm run test:firefox) runs beside Node: Debian's firefox-esr, driven
// through puppeteer-core (never a browser download), and Debian's chromium, the other tab of the
// cross-browser sync test. Installs what is missing with apt-get when we may, as ensure-tools.js
// does for the default lane, which does without firefox-esr (~430 MB); otherwise says how.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const browsers = [
  { pkg: 'firefox-esr', path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', variable: 'FIREFOX_PATH' },
  { pkg: 'chromium', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', variable: 'CHROMIUM_PATH' }
]
const missing = browsers.filter(({ path }) => !existsSync(path))
if (missing.length > 0) {
  const mayInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!mayInstall) {
    for (const { pkg, path, variable } of missing) console.error(`${pkg} not found at ${path}. Install it (Debian: sudo apt-get install ${pkg}) or set ${variable}.`)
    process.exit(1)
  }
  const packages = missing.map(({ pkg }) => pkg)
  console.log(`Installing ${packages.join(', ')} for the Firefox lane…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
}
