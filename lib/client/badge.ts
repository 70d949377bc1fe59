// A small notice in a corner of the page while a build runs (as browser-sync's notify shows what
// it did): the page is about to change. Clicks go through it to the page.
import STYLES from './badge.css'
import { removeAll, showHost } from './shadow.js'

const TAG = 'livereload-building'

export function showBuilding (): void {
  showHost(TAG, STYLES).textContent = 'building…'
}

export function hideBuilding (): void {
  removeAll(TAG)
}
