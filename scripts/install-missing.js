// What a test lane needs from Debian's packages, installed with apt-get when it is missing and we
// may (root, on Debian); otherwise each one's hint is printed and the process exits 1. Shared by
// ensure-tools.js (the default lane) and ensure-firefox.js (the Firefox lane).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

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
