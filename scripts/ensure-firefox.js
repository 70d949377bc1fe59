// What the Firefox lane (npm run test:firefox) runs beside Node: Debian's firefox-esr, driven
// through puppeteer-core (never a browser download), and Debian's chromium-headless-shell (the
// default lane's browser, test/helpers/browser.ts), the other tab of the cross-browser sync test. Installs what is missing with apt-get when we may, as ensure-tools.js
// does for the default lane, which does without firefox-esr (~430 MB); otherwise says how.
import { existsSync } from 'node:fs'
import { installMissing } from './install-missing.js'

const browsers = [
  { pkg: 'firefox-esr', path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr', variable: 'FIREFOX_PATH' },
  { pkg: 'chromium-headless-shell', path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell', variable: 'CHROMIUM_PATH' }
]
const missing = browsers.filter(({ path }) => !existsSync(path))
  .map(({ pkg, path, variable }) => ({ pkg, hint: `${pkg} not found at ${path}. Install it (Debian: sudo apt-get install ${pkg}) or set ${variable}.` }))
installMissing(missing, 'the Firefox lane')
