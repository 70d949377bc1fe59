// What a test lane needs from Debian's packages, installed with apt-get when it is missing and we
// may (root, on Debian); otherwise each one's hint is printed and the process exits 1. Shared by
// ensure-tools.js (the default lane) and ensure-firefox.js (the Firefox lane).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename } from 'node:path'

/**
 * The Chromium the browser tests launch (test/helpers/browser.ts), as a list of what is missing:
 * empty, or its { pkg, hint }. Debian's package is found by the path's name (chromium,
 * chromium-headless-shell); another path is the user's to install (pkg null).
 */
export function missingChromium () {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium-headless-shell'
  if (existsSync(path)) return []
  const pkg = ['/usr/bin/chromium', '/usr/bin/chromium-headless-shell'].includes(path) ? basename(path) : null
  return [{ pkg, hint: `Chromium not found at ${path}. Install it (Debian: sudo apt-get install ${pkg ?? 'chromium-headless-shell'}) or set CHROMIUM_PATH.` }]
}

/** `missing`: { pkg, hint } each (pkg null: none of Debian's provides it); `lane` names what they are for, in the line printed. */
export function installMissing (missing, lane) {
  if (missing.length === 0) return
  const mayInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get') && missing.every(({ pkg }) => pkg !== null)
  if (!mayInstall) {
    for (const { hint } of missing) console.error(hint)
    process.exit(1)
  }
  const packages = missing.map(({ pkg }) => pkg)
  console.log(`Installing ${packages.join(', ')} for ${lane}…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env })
}
