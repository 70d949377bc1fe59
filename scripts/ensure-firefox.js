// What the Firefox lane (npm run test:firefox) runs beside Node: Debian's firefox-esr, driven
// through puppeteer-core (never a browser download), and Debian's chromium-headless-shell (the
// default lane's browser, test/helpers/browser.ts), the other tab of the cross-browser sync test. Installs what is missing with apt-get when we may, as ensure-tools.js
// does for the default lane, which does without firefox-esr (~430 MB); otherwise says how.
import { existsSync } from 'node:fs'
import { installMissing, missingChromium } from './install-missing.js'

const firefox = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'
const missing = [
  ...(existsSync(firefox) ? [] : [{ pkg: 'firefox-esr', hint: `firefox-esr not found at ${firefox}. Install it (Debian: sudo apt-get install firefox-esr) or set FIREFOX_PATH.` }]),
  ...missingChromium()
]
installMissing(missing, 'the Firefox lane')
