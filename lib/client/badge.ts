// A small notice in a corner of the page while a build runs (as browser-sync's notify shows what
// it did): the page is about to change. Clicks go through it to the page.
import STYLES from './badge.css'
import { removeAll, shadowHost } from './shadow.js'

const TAG = 'livereload-building'

export function showBuilding (): void {
  hideBuilding()
  const [badge, root] = shadowHost(TAG, STYLES)
  root.textContent = 'building…'
  document.documentElement.append(badge)
}

export function hideBuilding (): void {
  removeAll(TAG)
}
